"""The benefit's rules: small functions grouped by the FAQ's areas, each citing its sources."""
