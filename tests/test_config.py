"""Finding, validating and merging ``[tool.wce-lint]`` (unit tests, no subprocess)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from wce_lint.config import (
    ALLOWED_KEYS,
    ConfigError,
    FileConfig,
    Overrides,
    build_settings,
    discover_config,
    find_config_file,
    load_config,
    split_selectors,
)
from wce_lint.report import FORMATS
from wce_lint.settings import DEFAULT_EXCLUDE


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def pyproject(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


# -- discovery -------------------------------------------------------------------------------------
def test_nearest_pyproject_with_our_table_wins(repo: Path) -> None:
    outer = pyproject(repo, "[tool.wce-lint]\npreview = true\n")
    inner = pyproject(repo / "pkg", "[tool.wce-lint]\n")
    (repo / "pkg" / "sub").mkdir()
    assert find_config_file(repo / "pkg" / "sub" / "train.py") == inner
    assert find_config_file(repo / "pkg") == inner
    assert find_config_file(repo / "other.py") == outer


def test_pyproject_without_our_table_is_passed_over(repo: Path) -> None:
    outer = pyproject(repo, "[tool.wce-lint]\n")
    pyproject(repo / "pkg", '[project]\nname = "pkg"\n[tool.ruff]\nline-length = 100\n')
    assert find_config_file(repo / "pkg") == outer


def test_an_unrelated_broken_pyproject_does_not_stop_the_search(repo: Path) -> None:
    outer = pyproject(repo, "[tool.wce-lint]\n")
    pyproject(repo / "pkg", "[project\n")  # not our business: never parsed
    assert find_config_file(repo / "pkg") == outer


def test_dedicated_files_come_before_pyproject_in_the_same_folder(repo: Path) -> None:
    pyproject(repo, "[tool.wce-lint]\n")
    (repo / "wce-lint.toml").write_text("")
    assert find_config_file(repo) == repo / "wce-lint.toml"
    (repo / ".wce-lint.toml").write_text("")
    assert find_config_file(repo) == repo / ".wce-lint.toml"


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    pyproject(tmp_path, "[tool.wce-lint]\n")  # above the repository: not the project's config
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_config_file(tmp_path / "repo") is None
    (tmp_path / "loose").mkdir()
    assert find_config_file(tmp_path / "loose") == tmp_path / "pyproject.toml"


def test_no_config_means_defaults_rooted_at_the_working_directory(repo: Path) -> None:
    config = discover_config(repo)
    assert config.path is None
    settings = build_settings(config)
    assert settings.root == repo
    assert settings.exclude == DEFAULT_EXCLUDE
    assert settings.select is None and settings.preview is False


# -- validation ------------------------------------------------------------------------------------
def test_every_key_is_read(repo: Path) -> None:
    path = pyproject(
        repo,
        """\
        [tool.wce-lint]
        select = ["WCE2", "syntax-error"]
        extend-select = ["WCE203"]
        ignore = ["WCE000"]
        per-file-ignores = { "tests/*.py" = ["negative-pos-weight"] }
        exclude = ["vendored"]
        extend-exclude = ["generated/**"]
        preview = true
        output-format = "json"
        tensorflow-version = "1"

        [tool.wce-lint.loss-apis."mmdet.models.losses.sigmoid_focal_loss"]
        expects = "logits"
        family = "sigmoid"
        prediction = "pred"
        labels = "target"
        signature = ["pred", "target", "weight", "gamma", "alpha", "reduction", "avg_factor"]
        """,
    )
    config = load_config(path)
    assert set(config.values) == {key.replace("-", "_") for key in ALLOWED_KEYS}
    settings = build_settings(config)
    assert settings.select == ("WCE2", "syntax-error")
    assert settings.extend_select == ("WCE203",)
    assert settings.ignore == ("WCE000",)
    assert settings.per_file_ignores == (("tests/*.py", ("negative-pos-weight",)),)
    assert settings.exclude == ("vendored",)
    assert settings.extend_exclude == ("generated/**",)
    assert settings.preview is True
    assert settings.output_format == "json"
    assert settings.tensorflow_version == "1"
    (api,) = settings.loss_apis
    assert api.names == ("mmdet.models.losses.sigmoid_focal_loss",) and api.logits == "pred"
    assert api.signature.positional[:2] == ("pred", "target") and api.framework == "mmdet"
    assert settings.root == repo
    assert settings.config_path == path


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('preview = "yes"', 'pyproject.toml: [tool.wce-lint] preview: expected a boolean (true or false), got "yes"'),
        ("preview = 1", "pyproject.toml: [tool.wce-lint] preview: expected a boolean (true or false), got 1"),
        ('select = "WCE2"', 'pyproject.toml: [tool.wce-lint] select: expected a list of strings, got "WCE2"'),
        ("ignore = [203]", "pyproject.toml: [tool.wce-lint] ignore: expected a list of strings, got [203]"),
        ("exclude = true", "pyproject.toml: [tool.wce-lint] exclude: expected a list of strings, got true"),
        (
            'per-file-ignores = ["tests"]',
            'pyproject.toml: [tool.wce-lint] per-file-ignores: expected a table of glob = [codes], got ["tests"]',
        ),
        (
            'per-file-ignores = { "t/*.py" = "WCE203" }',
            'pyproject.toml: [tool.wce-lint] per-file-ignores."t/*.py": expected a list of strings, got "WCE203"',
        ),
    ],
)
def test_wrong_types_name_the_file_the_key_and_the_value(repo: Path, line: str, expected: str) -> None:
    path = pyproject(repo, f"[tool.wce-lint]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == expected


def test_output_format_must_be_a_known_format(repo: Path) -> None:
    path = pyproject(repo, '[tool.wce-lint]\noutput-format = "xml"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f'pyproject.toml: [tool.wce-lint] output-format: expected one of {", ".join(FORMATS)}, got "xml"'
    )


def test_unknown_key_lists_the_allowed_keys_and_suggests_one(repo: Path) -> None:
    path = pyproject(repo, '[tool.wce-lint]\nextend_select = ["WCE2"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith('pyproject.toml: [tool.wce-lint] unknown key "extend_select" (allowed: select, ')
    assert message.endswith('; did you mean "extend-select"?)')


def test_unknown_key_without_a_close_match_has_no_suggestion(repo: Path) -> None:
    path = pyproject(repo, "[tool.wce-lint]\nlint = {}\n")
    with pytest.raises(ConfigError, match=r'unknown key "lint" \(allowed: [^;]*\)$'):
        load_config(path)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('select = ["WCE999"]', "select"),
        ('extend-select = ["E501"]', "extend-select"),
        ('ignore = ["negative-pos-weigth"]', "ignore"),
        ('per-file-ignores = { "tests/*" = ["WCE9"] }', 'per-file-ignores."tests/*"'),
    ],
)
def test_unknown_selectors_are_rejected(repo: Path, line: str, key: str) -> None:
    path = pyproject(repo, f"[tool.wce-lint]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"pyproject.toml: [tool.wce-lint] {key}: unknown rule selector ")


def test_misspelled_rule_name_gets_a_suggestion(repo: Path) -> None:
    path = pyproject(repo, '[tool.wce-lint]\nignore = ["negative-pos-weigth"]\n')
    with pytest.raises(ConfigError, match='did you mean "negative-pos-weight"'):
        load_config(path)


def test_codes_names_prefixes_and_all_are_accepted(repo: Path) -> None:
    path = pyproject(repo, '[tool.wce-lint]\nselect = ["ALL", "WCE", "wce2", "WCE203", "negative-pos-weight"]\n')
    assert load_config(path).values["select"][0] == "ALL"


def test_invalid_toml_and_binary_files_are_config_errors(repo: Path) -> None:
    broken = pyproject(repo, "[tool.wce-lint\n")
    with pytest.raises(ConfigError, match=r"^pyproject.toml: invalid TOML: "):
        load_config(broken)
    binary = repo / "lint.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=r"^lint.toml: not a TOML file"):
        load_config(binary)


def test_a_broken_pyproject_that_mentions_us_is_an_error_during_discovery(repo: Path) -> None:
    pyproject(repo, "[tool.wce-lint]\nselect = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        discover_config(repo)


def test_explicit_pyproject_must_have_our_table(repo: Path) -> None:
    path = pyproject(repo, "[tool.ruff]\n")
    with pytest.raises(ConfigError, match=r"no \[tool.wce-lint\] table"):
        discover_config(repo, path)


def test_our_table_must_be_a_table(repo: Path) -> None:
    path = pyproject(repo, '[tool]\nwce-lint = "on"\n')
    with pytest.raises(ConfigError, match=r"\[tool.wce-lint\] must be a table"):
        load_config(path)


def test_a_standalone_file_holds_keys_at_its_top_level(repo: Path) -> None:
    path = repo / "ci.toml"
    path.write_text('preview = true\n[per-file-ignores]\n"a.py" = ["WCE203"]\n')
    config = load_config(path)
    assert config.values["preview"] is True
    bad = repo / "bad.toml"
    bad.write_text("[tool.wce-lint]\npreview = true\n")
    with pytest.raises(ConfigError, match='^bad.toml: unknown key "tool"'):
        load_config(bad)


def test_files_outside_the_working_directory_are_named_by_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pyproject(tmp_path / "elsewhere", '[tool.wce-lint]\npreview = "no"\n')
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: [tool.wce-lint] preview:")


# -- merging with the command line -----------------------------------------------------------------
def file_config(repo: Path, **values: object) -> FileConfig:
    return FileConfig(path=repo / "pyproject.toml", values=values)


def test_command_line_select_replaces_the_files_selection(repo: Path) -> None:
    config = file_config(repo, select=("WCE0",), extend_select=("WCE203",), ignore=("WCE203",))
    settings = build_settings(config, Overrides(select=("WCE203",)))
    assert settings.select == ("WCE203",) and settings.extend_select == () and settings.ignore == ()
    assert settings.codes() == {"WCE203"}


def test_command_line_extend_select_and_ignore_add_to_the_file(repo: Path) -> None:
    config = file_config(repo, select=("WCE000",), ignore=("WCE2",))
    assert build_settings(config).codes() == {"WCE000"}
    reenabled = build_settings(config, Overrides(extend_select=("negative-pos-weight",)))
    assert reenabled.codes() == {"WCE000", "WCE203"}
    ignored = build_settings(file_config(repo), Overrides(ignore=("WCE000",)))
    assert "WCE000" not in ignored.codes() and "WCE203" in ignored.codes()


def test_preview_and_output_format_flags_override_the_file(repo: Path) -> None:
    config = file_config(repo, preview=True, output_format="json")
    assert build_settings(config).preview is True
    settings = build_settings(config, Overrides(preview=False, output_format="concise"))
    assert settings.preview is False and settings.output_format == "concise"


def test_per_file_ignore_globs_are_relative_to_the_config_folder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = pyproject(repo, '[tool.wce-lint]\nper-file-ignores = { "tests/*.py" = ["WCE203"] }\n')
    (repo / "tests").mkdir()
    monkeypatch.chdir(repo / "tests")  # the run starts elsewhere; the globs do not move
    settings = build_settings(load_config(path))
    assert "WCE203" not in settings.codes_for("test_loss.py")
    assert "WCE203" in settings.codes_for(str(repo / "src" / "loss.py"))


def test_split_selectors_accepts_commas_and_repeats() -> None:
    assert split_selectors(["WCE1, WCE2", "WCE203,", " negative-pos-weight "]) == (
        "WCE1",
        "WCE2",
        "WCE203",
        "negative-pos-weight",
    )
