"""Reports (Qt-free): built from the engines' results, rendered to HTML, PDF, XLSX and CSV."""
