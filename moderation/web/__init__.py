"""The moderators' and site owners' web pages under /ui/ (templates, static files, login)."""
