"""Threat intelligence: CISA KEV and FIRST EPSS feeds, STIX 2.1 indicators, their correlation with findings."""
