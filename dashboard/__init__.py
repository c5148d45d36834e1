"""The leaders' Streamlit dashboard: metric functions, access control, report and pages."""
