# Ombud's everyday commands. Each target calls the script that does the work.
.PHONY: lint test demo bench messages

VENV := .venv/bin

lint:
	$(VENV)/ruff check src tests bench
	$(VENV)/ruff format --check src tests bench

test:
	./scripts/test.sh

demo:
	./scripts/demo.sh

# Refresh and compile the translation catalogues (docs/translating.md).
messages:
	./scripts/messages.sh

# Submission throughput and latency, baseline ratio, report page weight and alert
# latency against a real server (DESIGN §8); writes bench/results/latest.json. Then
# e-mail intake throughput and message-to-alert latency (bench/results/mail_intake.json),
# a flood of 2,000 junk reports with a real one among them (bench/results/flood.json),
# submissions/s on PostgreSQL with one and with two web nodes (bench/results/nodes.json),
# and the crash test with 20 rounds of kills on SQLite and PostgreSQL (bench/results/crash.json).
# Every step runs even when an earlier one misses a target; make fails at the end if any did.
bench:
	@status=0; \
	$(VENV)/python -m bench.run $(BENCH_ARGS) || status=1; \
	$(VENV)/python -m bench.mail_intake || status=1; \
	$(VENV)/python -m bench.flood || status=1; \
	$(VENV)/python -m bench.nodes || status=1; \
	$(VENV)/python -m bench.crash || status=1; \
	exit $$status
