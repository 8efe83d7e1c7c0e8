"""The README lists the credentials the sandbox accepts, so another client can be pointed at it; they must be the
ones it really accepts."""

from pathlib import Path

from amazon_zoho.sandbox import config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_readme_names_every_credential_the_sandbox_accepts():
    accepted = [config.LWA_CLIENT_ID, config.LWA_CLIENT_SECRET, config.ZOHO_CLIENT_ID, config.ZOHO_CLIENT_SECRET,
                config.ZOHO_REFRESH_TOKEN, config.SANDBOX_SELLER_ID]
    assert [value for value in accepted if f"`{value}`" not in README] == []
    # A | inside a Markdown table cell is written \\|.
    assert f"`{config.LWA_REFRESH_TOKEN.replace('|', chr(92) + '|')}`" in README
