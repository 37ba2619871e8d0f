"""The Scrapy project of beian-audit: settings, items, the `sites` spider, middlewares, pipeline.

It knows Scrapy; the judgement (notices, rules) lives in `audit`.
"""
