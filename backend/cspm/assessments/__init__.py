"""Assessments: OWASP ASVS 5.0 and NIST CSF 2.0 questionnaires whose answers feed the SCF compliance engine."""
