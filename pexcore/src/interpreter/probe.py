# Prints what pex-rs needs to know about the interpreter running this script, as one JSON
# object. Standard library only; must run on every Python pex-rs supports (3.8+).
import json
import os
import platform
import sys


def version_text(info):
    text = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text


implementation = sys.implementation
print(
    json.dumps(
        {
            # PEP 508 marker environment, as `packaging.markers.default_environment()` has it.
            "implementation_name": implementation.name,
            "implementation_version": version_text(implementation.version),
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_python_implementation": platform.python_implementation(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
        },
        sort_keys=True,
    )
)
