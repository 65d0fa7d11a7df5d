"""The loader's limits on what a submission may hold. Code reads them as `caps.NAME`, so a test can
lower one with monkeypatch."""


# A micrograd engine and network fit in two files of a few kilobytes. The caps leave room for notes,
# plots and small data files, and stop anything that would make staging slow or fill the disk.
MAX_FILES = 2_000  # files staged from the chosen folder
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # uncompressed bytes staged in total
MAX_FILE_BYTES = 5 * 1024 * 1024  # uncompressed bytes of one file
MAX_ARCHIVE_BYTES = MAX_TOTAL_BYTES  # size of an uploaded .zip on disk
MAX_LISTED_ENTRIES = 10 * MAX_FILES  # entries looked at while searching for engine.py
MAX_ZIP_RATIO = 100  # uncompressed / compressed; beyond this a large member is a zip bomb
ZIP_RATIO_MIN_BYTES = 1024 * 1024  # small members may compress well (a file of spaces): not checked
_CHUNK = 64 * 1024
