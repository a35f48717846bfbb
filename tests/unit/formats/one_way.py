"""A stream that can only be read forward, like a socket or a pipe (no seek, no tell)."""

import io


class _OneWay(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def one_way(data: bytes) -> io.BufferedReader:
    """Return `data` as a buffered stream that cannot seek."""
    return io.BufferedReader(_OneWay(data))
