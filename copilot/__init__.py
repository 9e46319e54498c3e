"""销售副驾 / Sales Copilot: the service that composes the speech, retrieval and compliance
libraries into live help for a sales rep."""
