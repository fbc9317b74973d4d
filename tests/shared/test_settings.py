"""Settings: CSN_ environment, .env honoured, generated dev secrets kept under var/."""

from __future__ import annotations

from shared.settings import ServiceSettings


def test_unset_secrets_are_generated_once_and_kept(tmp_path):
    first = ServiceSettings(var_dir=tmp_path)
    second = ServiceSettings(var_dir=tmp_path)
    assert first.agent_token.get_secret_value()
    assert first.agent_token == second.agent_token
    assert first.ops_token != first.agent_token
    assert (tmp_path / "secrets" / "agent_token").stat().st_mode & 0o077 == 0
    assert str(tmp_path) in first.database_url


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("CSN_AGENT_TOKEN", "from-env")
    monkeypatch.setenv("CSN_CS_TIMEOUT_S", "7.5")
    settings = ServiceSettings(var_dir=tmp_path)
    assert settings.agent_token.get_secret_value() == "from-env"
    assert settings.cs_timeout_s == 7.5


def test_dotenv_is_honoured(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CSN_OPS_TOKEN=from-dotenv\n")
    assert ServiceSettings(var_dir=tmp_path).ops_token.get_secret_value() == "from-dotenv"
