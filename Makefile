# Convenience wrappers; dev.py is the real entry point (it needs only Python 3.11).
.PHONY: run test bench
run:
	python3 dev.py run
test:
	python3 dev.py test
bench:
	.venv/bin/python -m bench
