"""Reading, normalising, validating and storing unit workbooks, and writing flags back."""
