"""Scan targets: networks, directories, images, web applications, TLS endpoints, cloud accounts."""
