"""CSS shared by the dialogs that carry their own (the others take ``.dialog`` from costtui.tcss)."""

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > .dialog {{ width: 72; max-width: 95%; height: auto; max-height: 80%; border: thick $primary;
    background: $surface; padding: 1 2; }}
{name} .dialog-buttons {{ height: auto; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-right: 2; }}
{name} OptionList {{ height: auto; max-height: 16; }}
"""
"""Format with ``name=`` the dialog's class name: the rules are scoped to that one dialog."""
