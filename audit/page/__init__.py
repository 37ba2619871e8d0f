"""Reading one fetched page: decoding, parsing, its links and footer, how well it was read,
which hosts and addresses belong to the jurisdiction. Pure: no database, no crawler."""
