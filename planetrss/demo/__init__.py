"""The embedded demo site: a deterministic NPR-style podcast site and a loopback server."""
