//! Reading one member of a remote wheel through HTTP range requests: the zip's central
//! directory sits at its end, so the tail and one more range usually give the METADATA of a
//! wheel of any size without downloading it (mirrors often drop the PEP 658 files).

use std::io::{self, Read, Seek, SeekFrom};

use url::Url;

use super::http::Client;

/// How much to ask for at a time: the tail of most wheels holds their whole central directory.
const CHUNK: u64 = 64 * 1024;

/// The answer to the first (tail) request.
pub(crate) enum Tail {
    /// The server honours ranges: read members through the reader.
    Ranges(Box<RangeReader>),
    /// The server ignored the range and sent the whole file.
    Whole(Vec<u8>),
}

/// A `Read + Seek` view of a remote file that fetches and keeps the ranges it reads.
pub(crate) struct RangeReader {
    client: Client,
    url: Url,
    length: u64,
    position: u64,
    /// Fetched ranges as (start, bytes), in no particular order.
    chunks: Vec<(u64, Vec<u8>)>,
}

/// Asks for the last [`CHUNK`] bytes of `url`.
pub(crate) fn open(client: &Client, url: &Url) -> Result<Tail, super::Error> {
    let response = client.get(url, &[("Range", &format!("bytes=-{CHUNK}")), ("Accept-Encoding", "identity")])?;
    match response.status {
        200 => Ok(Tail::Whole(response.body)),
        206 => {
            let length = response
                .header("Content-Range")
                .and_then(|range| range.rsplit_once('/'))
                .and_then(|(_, total)| total.trim().parse::<u64>().ok())
                .ok_or_else(|| super::Error::Parse {
                    url: super::http::redact(url),
                    reason: "a range answer without a usable Content-Range".to_owned(),
                })?;
            let start = length.saturating_sub(response.body.len() as u64);
            Ok(Tail::Ranges(Box::new(RangeReader {
                client: client.clone(),
                url: url.clone(),
                length,
                position: 0,
                chunks: vec![(start, response.body)],
            })))
        }
        status => Err(super::Error::Status { url: super::http::redact(url), status }),
    }
}

impl RangeReader {
    fn fetch(&mut self, start: u64, wanted: u64) -> io::Result<()> {
        let end = (start + wanted.max(CHUNK)).min(self.length) - 1;
        let response = self
            .client
            .get(&self.url, &[("Range", &format!("bytes={start}-{end}")), ("Accept-Encoding", "identity")])
            .map_err(io::Error::other)?;
        if response.status != 206 || response.body.is_empty() {
            return Err(io::Error::other(format!("the server answered {} to a range request", response.status)));
        }
        // The answer must start where it was asked to, or its bytes would land at the wrong place.
        let answered_start = response
            .header("Content-Range")
            .and_then(|range| range.strip_prefix("bytes "))
            .and_then(|range| range.split_once('-'))
            .and_then(|(first, _)| first.trim().parse::<u64>().ok());
        if answered_start != Some(start) {
            return Err(io::Error::other("the server answered a range request with another range"));
        }
        self.chunks.push((start, response.body));
        Ok(())
    }
}

impl Read for RangeReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.length || buffer.is_empty() {
            return Ok(0);
        }
        let position = self.position;
        let covering = |chunks: &[(u64, Vec<u8>)]| {
            chunks.iter().position(|(start, bytes)| *start <= position && position < start + bytes.len() as u64)
        };
        let index = if let Some(index) = covering(&self.chunks) {
            index
        } else {
            self.fetch(position, buffer.len() as u64)?;
            covering(&self.chunks).ok_or_else(|| io::Error::other("a range answer did not cover the request"))?
        };
        let (start, bytes) = &self.chunks[index];
        let offset = usize::try_from(position - start).map_err(io::Error::other)?;
        let count = buffer.len().min(bytes.len() - offset);
        buffer[..count].copy_from_slice(&bytes[offset..offset + count]);
        self.position += count as u64;
        Ok(count)
    }
}

impl Seek for RangeReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let position = match to {
            SeekFrom::Start(offset) => i128::from(offset),
            SeekFrom::End(offset) => i128::from(self.length) + i128::from(offset),
            SeekFrom::Current(offset) => i128::from(self.position) + i128::from(offset),
        };
        self.position = u64::try_from(position).map_err(|_| io::Error::other("seek before the start"))?;
        Ok(self.position)
    }
}
