"""Documents the centre sends: the rectification notice (DOCX), workbooks of untrusted data,
and the official-document styling they share."""
