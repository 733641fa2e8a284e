"""Modal dialogs, one topic per module. Each imports on its own: a dialog never imports the
screen or section that opens it (it returns its answer through ``dismiss``)."""
