"""Reading the archive from outside: Datasette on it (``browse``) and files (``export``)."""
