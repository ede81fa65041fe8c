"""Config texts tests share: ``{url}`` is the store URL."""

#: Jira and Zendesk connectors (their tokens from ITSMHUB_TEST_*_TOKEN).
TWO_TOOLS = """\
[store]
url = "{url}"

[connectors.jira]
type = "jira"
site_url = "https://acme.atlassian.net"
email = "itsmhub@acme.example"
api_token = "env:ITSMHUB_TEST_JIRA_TOKEN"
projects = ["OPS"]

[connectors.zendesk]
type = "zendesk"
subdomain = "acme"
email = "itsmhub@acme.example"
api_token = "env:ITSMHUB_TEST_ZENDESK_TOKEN"
"""
