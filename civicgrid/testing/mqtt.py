"""MQTT for tests and benchmarks: whether a broker answers, and a private Mosquitto on a free
port (persistent sessions in a folder; `extra` lines of configuration, e.g. the queue limits)."""

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def broker_up(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        return False
    return True


class PrivateBroker:
    """A Mosquitto of one's own on a free port, persisting its sessions to a folder (or, with
    `persistence=False`, forgetting them when it stops)."""

    def __init__(self, folder: Path, extra: str = "", *, persistence: bool = True) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.conf = folder / "mosquitto.conf"
        # `user`: run as root, Mosquitto would become `mosquitto` and could not save its sessions
        # in a folder that is ours; as anyone else it cannot change user and ignores the line.
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nuser {getpass.getuser()}\n"
            f"persistence {str(persistence).lower()}\npersistence_location {folder}/\n{extra}"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        for _ in range(50):
            if broker_up("127.0.0.1", self.port):
                return
            time.sleep(0.1)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # saves the persistence file
            self.process.wait(10)
            self.process = None
