"""AWS deployment of olist-dw: CloudFormation templates in infra/, and the code that plans, packages,
deploys, sets up Redshift and tears down (`olist-dw infra ...`)."""
