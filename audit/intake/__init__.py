"""What the centre imports: its inventory of sites, the filing registry, and the tables they
come in (CSV, XLSX) read safely."""
