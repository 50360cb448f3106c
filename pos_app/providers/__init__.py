"""One async client per back-end. Above this package nobody sees HTTP, XML or string numbers."""
