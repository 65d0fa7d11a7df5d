"""The submission loader: every accepted shape, every refusal, and the messages students read."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from autograder import loader
from autograder.loader import SubmissionError, caps, listing, load_submission

ENGINE = "class Value:\n    def __init__(self, data):\n        self.data = data\n"
NN = "from micrograd.engine import Value\n"


def make_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> content) under `root` and return `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


def make_zip(path: Path, files: dict[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def stage(tmp_path: Path, submission: Path) -> loader.StagedSubmission:
    return load_submission(submission, tmp_path / "stage")


def staged_tree(staged: loader.StagedSubmission) -> set[str]:
    return {p.relative_to(staged.root).as_posix() for p in staged.root.rglob("*") if p.is_file()}


def refusal(tmp_path: Path, submission: Path) -> str:
    with pytest.raises(SubmissionError) as info:
        stage(tmp_path, submission)
    return str(info.value)


# ---- accepted shapes ----------------------------------------------------------------------------


def test_package_folder_is_staged_with_its_modules(tmp_path: Path) -> None:
    sub = make_tree(
        tmp_path / "sub",
        {"micrograd/__init__.py": "", "micrograd/engine.py": ENGINE, "micrograd/nn.py": NN},
    )
    staged = stage(tmp_path, sub)
    assert staged.layout == "package"
    assert staged.engine_module == "micrograd.engine"
    assert staged.nn_module == "micrograd.nn"
    assert staged.source == str(sub)
    assert staged.root == tmp_path / "stage"
    assert staged.files == ("micrograd/__init__.py", "micrograd/engine.py", "micrograd/nn.py")
    assert (staged.root / "micrograd/engine.py").read_text() == ENGINE
    assert staged.notes == ()


def test_missing_package_init_is_created_and_noted(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"micrograd/engine.py": ENGINE})
    staged = stage(tmp_path, sub)
    assert (staged.root / "micrograd/__init__.py").read_text() == ""
    assert "micrograd/__init__.py" in staged.files
    assert staged.nn_module is None
    assert any("added an empty micrograd/__init__.py" in note for note in staged.notes)


def test_flat_folder_uses_top_level_module_names(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "hw", {"engine.py": ENGINE, "nn.py": NN, "helpers.py": "X = 1\n"})
    staged = stage(tmp_path, sub)
    assert (staged.layout, staged.engine_module, staged.nn_module) == ("flat", "engine", "nn")
    assert staged.files == ("engine.py", "helpers.py", "nn.py")


def test_flat_folder_without_nn_has_no_nn_module(tmp_path: Path) -> None:
    staged = stage(tmp_path, make_tree(tmp_path / "hw", {"engine.py": ENGINE}))
    assert staged.nn_module is None


def test_the_micrograd_folder_itself_stays_a_package(tmp_path: Path) -> None:
    # Relative imports (`from .engine import Value`) only work if it is staged as a package.
    sub = make_tree(
        tmp_path / "micrograd", {"engine.py": ENGINE, "nn.py": "from .engine import Value\n"}
    )
    staged = stage(tmp_path, sub)
    assert staged.layout == "package"
    assert (staged.engine_module, staged.nn_module) == ("micrograd.engine", "micrograd.nn")
    assert staged_tree(staged) == {
        "micrograd/engine.py",
        "micrograd/nn.py",
        "micrograd/__init__.py",
    }


def test_wrapping_folder_one_level_down_is_unwrapped(tmp_path: Path) -> None:
    sub = make_tree(
        tmp_path / "upload",
        {"hw1/micrograd/engine.py": ENGINE, "hw1/micrograd/nn.py": NN, "hw1/README.md": "hi"},
    )
    staged = stage(tmp_path, sub)
    assert staged.layout == "package"
    assert staged_tree(staged) == {
        "micrograd/engine.py",
        "micrograd/nn.py",
        "micrograd/__init__.py",
        "README.md",
    }
    assert any("hw1/" in note for note in staged.notes)


def test_flat_layout_one_level_down(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "upload", {"hw1/engine.py": ENGINE, "notes.txt": "x"})
    staged = stage(tmp_path, sub)
    assert (staged.layout, staged.engine_module) == ("flat", "engine")
    assert staged_tree(staged) == {"engine.py"}


def test_top_level_engine_wins_over_copies_one_folder_down(tmp_path: Path) -> None:
    sub = make_tree(
        tmp_path / "repo",
        {"micrograd/engine.py": ENGINE, "backup/micrograd/engine.py": "old = 1\n"},
    )
    staged = stage(tmp_path, sub)
    assert (staged.root / "micrograd/engine.py").read_text() == ENGINE
    assert "backup/micrograd/engine.py" in staged_tree(staged)  # copied, as any other file
    assert not any("graded the folder" in note for note in staged.notes)


def test_staged_files_are_world_readable_whatever_the_umask(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"micrograd/engine.py": ENGINE, "data/x.csv": "1,2\n"})
    (sub / "micrograd/engine.py").chmod(0o600)
    old = os.umask(0o077)
    try:
        staged = stage(tmp_path, sub)
    finally:
        os.umask(old)
    for path in [staged.root, *staged.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), path


def test_zip_of_a_package(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "sub.zip", {"micrograd/engine.py": ENGINE, "micrograd/nn.py": NN})
    staged = stage(tmp_path, archive)
    assert (staged.layout, staged.nn_module) == ("package", "micrograd.nn")
    assert (staged.root / "micrograd/nn.py").read_text() == NN


def test_zip_with_a_wrapping_folder_and_directory_entries(tmp_path: Path) -> None:
    path = tmp_path / "hw1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hw1/", "")
        archive.writestr("hw1/micrograd/", "")
        archive.writestr("hw1/micrograd/engine.py", ENGINE)
    staged = stage(tmp_path, path)
    assert staged_tree(staged) == {"micrograd/engine.py", "micrograd/__init__.py"}


def test_zip_with_windows_backslash_names(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "win.zip", {"hw1\\micrograd\\engine.py": ENGINE})
    staged = stage(tmp_path, archive)
    assert staged.engine_module == "micrograd.engine"
    assert (staged.root / "micrograd/engine.py").read_text() == ENGINE


def test_zip_without_zip_suffix_is_recognised_by_content(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "upload", {"engine.py": ENGINE})
    assert stage(tmp_path, archive).layout == "flat"


def test_macos_clutter_hidden_files_and_caches_are_ignored_silently(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "mac.zip",
        {
            "hw/micrograd/engine.py": ENGINE,
            "__MACOSX/hw/micrograd/._engine.py": b"\x00\x05\x16\x07",
            "hw/.DS_Store": b"\x00\x00",
            "hw/micrograd/__pycache__/engine.cpython-311.pyc": b"\x00",
            "hw/.git/config": "[core]",
            "hw/micrograd/old.pyc": b"\x00",
        },
    )
    staged = stage(tmp_path, archive)
    assert staged_tree(staged) == {"micrograd/engine.py", "micrograd/__init__.py"}
    assert not any("DS_Store" in note or "pyc" in note for note in staged.notes)


# ---- files that are skipped with a note ---------------------------------------------------------


def test_startup_hooks_and_native_code_are_skipped_with_notes(tmp_path: Path) -> None:
    sub = make_tree(
        tmp_path / "sub",
        {
            "micrograd/engine.py": ENGINE,
            "sitecustomize.py": "import os\n",
            "micrograd/usercustomize.py": "import os\n",
            "evil.pth": "import os; os.system('x')\n",
            "conftest.py": "import pytest\n",
            "micrograd/fast.so": b"\x7fELF",
        },
    )
    staged = stage(tmp_path, sub)
    assert staged_tree(staged) == {"micrograd/engine.py", "micrograd/__init__.py"}
    skipped = [note for note in staged.notes if note.startswith("skipped")]
    for name in (
        "sitecustomize.py",
        "micrograd/usercustomize.py",
        "evil.pth",
        "conftest.py",
        "micrograd/fast.so",
    ):
        assert any(note.startswith(f"skipped {name}:") for note in skipped), (name, skipped)


def test_skipped_files_in_a_zip_are_noted_too(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "s.zip", {"engine.py": ENGINE, "x.pth": "import os\n"})
    staged = stage(tmp_path, archive)
    assert staged_tree(staged) == {"engine.py"}
    assert any(note.startswith("skipped x.pth:") for note in staged.notes)


def test_symlinks_in_a_folder_are_skipped_with_a_note(tmp_path: Path) -> None:
    secret = make_tree(tmp_path / "elsewhere", {"answers.py": "SECRET = 1\n"})
    sub = make_tree(tmp_path / "sub", {"micrograd/engine.py": ENGINE})
    (sub / "micrograd/answers.py").symlink_to(secret / "answers.py")
    (sub / "linked").symlink_to(secret, target_is_directory=True)
    staged = stage(tmp_path, sub)
    assert staged_tree(staged) == {"micrograd/engine.py", "micrograd/__init__.py"}
    assert any(note.startswith("skipped micrograd/answers.py:") for note in staged.notes)
    assert any(note.startswith("skipped linked:") for note in staged.notes)


def test_a_symlinked_engine_is_not_followed_and_the_message_says_so(tmp_path: Path) -> None:
    real = make_tree(tmp_path / "real", {"engine.py": ENGINE})
    sub = make_tree(tmp_path / "sub", {"README.md": "hi"})
    (sub / "engine.py").symlink_to(real / "engine.py")
    message = refusal(tmp_path, sub)
    assert "no engine.py found" in message
    assert "symbolic links are not followed: engine.py" in message


def test_a_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"engine.py": ENGINE})
    os.mkfifo(sub / "pipe")
    staged = stage(tmp_path, sub)
    assert staged_tree(staged) == {"engine.py"}
    assert any(note.startswith("skipped pipe: not a regular file") for note in staged.notes)


# ---- refusals -----------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    assert refusal(tmp_path, missing) == f"{missing}: no such file or directory"


def test_empty_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert refusal(tmp_path, empty) == f"{empty}: the folder is empty"


def test_folder_with_only_hidden_files_says_they_are_ignored(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {".engine.py": ENGINE})
    assert "is empty (hidden files, __pycache__ and .pyc files are ignored)" in refusal(
        tmp_path, sub
    )


def test_folder_without_engine_lists_what_it_contains(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"notes.txt": "x", "data.csv": "1", "src/value.py": ""})
    assert refusal(tmp_path, sub) == (
        f"{sub}: no engine.py found (looked for micrograd/engine.py and engine.py, at the top "
        "and one folder down); it contains: data.csv, notes.txt, src/"
    )


def test_engine_too_deep_is_pointed_at(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"a/b/micrograd/engine.py": ENGINE})
    message = refusal(tmp_path, sub)
    assert message.endswith(
        "; found a/b/micrograd/engine.py deeper than one folder: submit the folder a/b instead"
    )


def test_wrong_case_engine_is_pointed_at(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"micrograd/Engine.py": ENGINE})
    message = refusal(tmp_path, sub)
    assert "found micrograd/Engine.py: file names are case-sensitive" in message


def test_ambiguous_candidates_are_listed(tmp_path: Path) -> None:
    sub = make_tree(
        tmp_path / "upload", {"hw1/micrograd/engine.py": ENGINE, "hw2/engine.py": ENGINE}
    )
    message = refusal(tmp_path, sub)
    assert message.startswith(f"{sub}: found more than one engine (")
    assert "hw1/micrograd/engine.py" in message and "hw2/engine.py" in message


def test_package_and_flat_side_by_side_are_ambiguous(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"engine.py": ENGINE, "micrograd/engine.py": ENGINE})
    assert "found more than one engine (micrograd/engine.py, engine.py)" in refusal(tmp_path, sub)


def test_a_file_that_is_not_a_notebook_is_refused_clearly(tmp_path: Path) -> None:
    notebook = tmp_path / "hw1.ipynb"
    notebook.write_text("{}")
    message = refusal(tmp_path, notebook)
    assert message.startswith(f"{notebook}: not a Jupyter notebook")


def test_notebook_inside_a_folder_gets_a_hint(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"hw1.ipynb": "{}", "hw2.ipynb": "{}"})
    hint = "to grade a notebook, submit the .ipynb file itself (hw1.ipynb)"
    assert hint in refusal(tmp_path, sub)


def test_single_py_file_is_refused(tmp_path: Path) -> None:
    single = make_tree(tmp_path / "sub", {"engine.py": ENGINE}) / "engine.py"
    assert "a single .py file is not a submission" in refusal(tmp_path, single)


def test_other_archive_formats_are_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "sub.tar.gz"
    tarball.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    assert refusal(tmp_path, tarball) == (
        f"{tarball}: not a folder or a .zip archive (other archive formats are not accepted)"
    )


def test_zip_that_is_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "submission.zip"
    fake.write_text("definitely not a zip")
    assert refusal(tmp_path, fake).startswith(f"{fake}: not a valid zip archive")


def test_empty_zip(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "empty.zip", {})
    assert refusal(tmp_path, archive) == f"{archive}: the archive is empty"


def test_zip_without_python(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "submission.zip", {"notes.txt": "x", "data.csv": "1,2"})
    assert refusal(tmp_path, archive) == (
        f"{archive}: no Python files in the archive (need micrograd/engine.py or engine.py); "
        "it contains: data.csv, notes.txt"
    )


def test_zip_without_engine_lists_its_contents(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "submission.zip", {"hw/value.py": "", "notes.txt": "x"})
    message = refusal(tmp_path, archive)
    assert message.startswith(f"{archive}: no engine.py found")
    assert message.endswith("it contains: hw/, notes.txt")


@pytest.mark.parametrize(
    "name", ["../evil.py", "hw/../../evil.py", "/etc/evil.py", "C:/evil.py", "..\\evil.py"]
)
def test_zip_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "bad.zip", {"engine.py": ENGINE, name: "x = 1\n"})
    message = refusal(tmp_path, archive)
    assert message.startswith(f"{archive}: {name} ")
    assert "outside the archive" in message or "absolute path" in message
    assert not (tmp_path / "evil.py").exists()


def test_zip_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("engine.py", ENGINE)
        link = zipfile.ZipInfo("micrograd/engine.py")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert refusal(tmp_path, path) == (
        f"{path}: micrograd/engine.py is a symbolic link; zip the real files instead"
    )


def _set_flag_bits(data: bytes, bits: int) -> bytes:
    """Set general-purpose flag bits in every local and central header of a zip."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = out.find(signature)
        while start != -1:
            (flags,) = struct.unpack_from("<H", out, start + offset)
            struct.pack_into("<H", out, start + offset, flags | bits)
            start = out.find(signature, start + 4)
    return bytes(out)


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("engine.py", ENGINE)
    path = tmp_path / "locked.zip"
    path.write_bytes(_set_flag_bits(buffer.getvalue(), 0x1))
    assert refusal(tmp_path, path) == (
        f"{path}: engine.py is encrypted; make the zip without a password"
    )


def test_zip_bomb_member_is_refused_from_its_header(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "bomb.zip", {"engine.py": ENGINE, "data.txt": b"\x00" * (4 * 1024 * 1024)}
    )
    message = refusal(tmp_path, archive)
    assert message.startswith(f"{archive}: data.txt expands ")
    assert "zip bomb" in message


# (signature, offset of the uncompressed size, offset of the name length, offset of the name)
_LOCAL_HEADER = (b"PK\x03\x04", 22, 26, 30)
_CENTRAL_HEADER = (b"PK\x01\x02", 24, 28, 46)


def _patch_sizes(data: bytes, name: bytes, file_size: int) -> bytes:
    """Make the headers of member `name` claim `file_size` uncompressed bytes."""
    out = bytearray(data)
    for signature, size_at, name_len_at, name_at in (_LOCAL_HEADER, _CENTRAL_HEADER):
        start = out.find(signature)
        while start != -1:
            (name_len,) = struct.unpack_from("<H", out, start + name_len_at)
            if bytes(out[start + name_at : start + name_at + name_len]) == name:
                struct.pack_into("<I", out, start + size_at, file_size)
            start = out.find(signature, start + 4)
    return bytes(out)


def test_a_lying_size_header_does_not_let_a_bomb_through(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("engine.py", ENGINE)
        archive.writestr("data.txt", b"\x00" * (4 * 1024 * 1024))
    path = tmp_path / "liar.zip"
    path.write_bytes(_patch_sizes(buffer.getvalue(), b"data.txt", 1000))
    with zipfile.ZipFile(path) as check:  # the header now claims a harmless 1000 bytes
        assert check.getinfo("data.txt").file_size == 1000
    message = refusal(tmp_path, path)
    assert message.startswith(f"{path}: data.txt ")
    assert not (tmp_path / "stage" / "data.txt").exists()


def test_zip_duplicate_members_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("engine.py", ENGINE)
        archive.writestr("engine.py", "import torch\n")
    assert refusal(tmp_path, path) == f"{path}: engine.py appears twice in the archive"


def test_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    big = os.urandom(caps.MAX_FILE_BYTES + 1)
    sub = make_tree(tmp_path / "sub", {"engine.py": ENGINE, "weights.bin": big})
    assert refusal(tmp_path, sub) == (
        f"{sub}: weights.bin is larger than 5 MB (the limit for one file)"
    )


def test_zip_member_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    big = os.urandom(caps.MAX_FILE_BYTES + 1)
    archive = make_zip(
        tmp_path / "big.zip", {"engine.py": ENGINE, "w.bin": big}, zipfile.ZIP_STORED
    )
    assert "w.bin is larger than 5 MB" in refusal(tmp_path, archive)


def test_total_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caps, "MAX_TOTAL_BYTES", 1000)
    sub = make_tree(tmp_path / "sub", {"engine.py": ENGINE, "a.txt": "a" * 600, "b.txt": "b" * 600})
    message = refusal(tmp_path, sub)
    assert message.startswith(f"{sub}: the files add up to more than 1,000 bytes")
    assert "reached at b.txt" in message


def test_file_count_cap(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"data/{i}.txt": "" for i in range(caps.MAX_FILES)}
    files["engine.py"] = ENGINE
    sub = make_tree(tmp_path / "sub", files)
    message = refusal(tmp_path, sub)
    assert message.startswith(f"{sub}: {caps.MAX_FILES + 1} files, more than the limit of 2,000")


def test_non_utf8_source_is_refused_with_file_and_line(tmp_path: Path) -> None:
    sub = make_tree(
        tmp_path / "sub",
        {"micrograd/engine.py": b"# ok\n# caf\xe9\nclass Value: pass\n", "notes.txt": b"\xff"},
    )
    assert refusal(tmp_path, sub) == (
        f"{sub}: micrograd/engine.py is not valid UTF-8 text (byte 0xe9 on line 2); save the "
        "file with UTF-8 encoding"
    )


def test_non_utf8_data_files_are_fine(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"engine.py": ENGINE, "plot.png": b"\x89PNG\xff\xfe"})
    staged = stage(tmp_path, sub)
    assert (staged.root / "plot.png").read_bytes() == b"\x89PNG\xff\xfe"
    assert staged.files == ("engine.py",)


def test_syntax_errors_are_left_to_the_worker(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"engine.py": "class Value(:\n"})
    assert stage(tmp_path, sub).files == ("engine.py",)


def test_stage_dir_must_be_empty(tmp_path: Path) -> None:
    sub = make_tree(tmp_path / "sub", {"engine.py": ENGINE})
    (tmp_path / "stage").mkdir()
    (tmp_path / "stage" / "leftover.py").write_text("")
    with pytest.raises(ValueError, match="not empty"):
        stage(tmp_path, sub)


def test_reading_stops_one_byte_past_the_cap_whatever_the_source_claims() -> None:
    calls: list[int] = []

    def endless(n: int) -> bytes:  # a member that never ends, whatever its header says
        calls.append(n)
        return b"\x00" * n

    data = listing._read_capped(endless, 200_000)
    assert len(data) == 200_001
    assert sum(calls) == 200_001


def test_a_file_where_a_folder_is_needed_is_refused(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "clash.zip", {"engine.py": ENGINE, "data": "x", "data/y.txt": "y"}
    )
    message = refusal(tmp_path, archive)
    assert message.startswith(f"{archive}: cannot copy data/y.txt (")
