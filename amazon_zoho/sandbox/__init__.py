"""The embedded sandbox: loopback HTTP servers speaking SP-API and Zoho CRM v8 (see README)."""

from .app import Sandbox, SandboxApp
from .config import SandboxConfig

__all__ = ["Sandbox", "SandboxApp", "SandboxConfig"]
