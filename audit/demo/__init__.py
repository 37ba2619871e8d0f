"""The demo: a generated jurisdiction served on loopback (the testbed), crawled over two
months, triaged and reported on (:mod:`audit.demo.play`)."""
