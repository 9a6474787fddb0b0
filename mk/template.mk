# Template checks and the Lambda layer build (included by the main Makefile: -include mk/*.mk).
#
#   make layer            dist/authorizers-layer-<version>-<runtime>-<arch>.zip
#                         (LAYER_RUNTIME=python3.12|python3.13|python3.14, LAYER_ARCH=x86_64|arm64,
#                         LAYER_WITH=requests,powertools for opt-in features' packages)
#   make check-template   sam validate, cfn-lint, sam build (offline), then the layer tests:
#                         the SAM-built layer authorizes a token in a clean interpreter and
#                         under awslambdaric, and the tests that need these tools (the
#                         planner's snippets through sam/cfn-lint, the handler under
#                         awslambdaric) run here too: a plain pytest run skips them
#
# Each tool gets its own venv under $(TOOLS_DIR) (git-ignored): aws-sam-cli pins a cfn-lint of
# its own, and cfn-lint >= 1.54 no longer runs the SAM transform (it would miss errors such as
# an invalid FunctionPayloadType), so the linter is pinned in a separate venv. Stamp files make
# the installs run once; the layer's wheels are cached by the build itself.

TOOLS_DIR ?= .tools
TOOLS_PYTHON ?= python3
PY ?= $(or $(VENV),.venv)/bin/python
CFN_LINT_VERSION ?= 1.53.3
LAYER_RUNTIME ?= python3.13
LAYER_ARCH ?= x86_64
LAYER_WITH ?=
LAYER_OUT ?= dist
SAM_BUILD_DIR ?= $(TOOLS_DIR)/sam-build

SAM_VENV := $(TOOLS_DIR)/sam
CFN_LINT_VENV := $(TOOLS_DIR)/cfn-lint
SAM := AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
PIP_QUIET := --quiet --disable-pip-version-check
# Python versions that run the layer locally: this interpreter's, and 3.13 (the template's
# runtime) when a local 3.13 exists. Recursive (=): evaluated only by the recipes using them.
LOCAL_PYTHONS = $(shell $(PY) -c 'import sys; from authorizers.layer import find_interpreter; \
	print(*sorted({"%d.%d" % sys.version_info[:2]} | ({"3.13"} if find_interpreter("3.13") else set())))')
LOCAL_ARCH = $(shell $(PY) -c 'import platform; print({"aarch64": "arm64"}.get(platform.machine(), platform.machine()))')
# The template builds one layer per CPU (layer/Makefile: the target names it) and attaches the
# Architecture parameter's; the tests check the one for this machine.
LOCAL_LAYER = $(if $(filter arm64,$(LOCAL_ARCH)),AuthorizersLayerArm64,AuthorizersLayerX86)

.PHONY: layer check-template template-tools lambda-runtime-tools layer-wheels

layer:
	$(PY) -m authorizers.cli.layer build --runtime $(LAYER_RUNTIME) --arch $(LAYER_ARCH) --out $(LAYER_OUT) \
		$(if $(LAYER_WITH),--with $(LAYER_WITH))

$(SAM_VENV)/.installed:
	rm -rf $(SAM_VENV)
	$(TOOLS_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) aws-sam-cli
	touch $@

$(CFN_LINT_VENV)/.installed:
	rm -rf $(CFN_LINT_VENV)
	$(TOOLS_PYTHON) -m venv $(CFN_LINT_VENV)
	$(CFN_LINT_VENV)/bin/pip install $(PIP_QUIET) cfn-lint==$(CFN_LINT_VERSION)
	touch $@

template-tools: $(SAM_VENV)/.installed $(CFN_LINT_VENV)/.installed

# awslambdaric (the bootstrap the Lambda Python runtimes run) in one venv per local Python
# version, as .tools/awslambdaric-X.Y; tests/shipping/test_lambda_runtime.py uses whichever exist.
lambda-runtime-tools:
	@for version in $(LOCAL_PYTHONS); do \
	  venv=$(TOOLS_DIR)/awslambdaric-$$version; \
	  test -f $$venv/.installed && continue; \
	  python=$$($(PY) -c 'import sys; from authorizers.layer import find_interpreter; print(find_interpreter(sys.argv[1]))' $$version); \
	  echo "installing awslambdaric for Python $$version into $$venv"; \
	  rm -rf $$venv && $$python -m venv $$venv && $$venv/bin/pip install $(PIP_QUIET) awslambdaric \
	    && touch $$venv/.installed || exit 1; \
	done

# Wheels for the layers the tests build (offline) for the local Python versions.
layer-wheels:
	$(PY) -m authorizers.cli.layer fetch --arch $(LOCAL_ARCH) --runtime $(addprefix python,$(LOCAL_PYTHONS))

check-template: template-tools lambda-runtime-tools layer-wheels
	$(SAM) validate --template template.yaml
	$(CFN_LINT_VENV)/bin/cfn-lint template.yaml
	PYTHON=$(abspath $(PY)) $(SAM) build --template template.yaml \
	  --build-dir $(SAM_BUILD_DIR) --parameter-overrides Architecture=$(LOCAL_ARCH)
	AUTHORIZERS_SAM_LAYER=$(SAM_BUILD_DIR)/$(LOCAL_LAYER)/python $(PY) -m pytest -q \
	  tests/layer/test_layer.py tests/shipping/test_lambda_runtime.py tests/shipping/test_sam_template.py \
	  tests/plan/test_plan.py tests/test_handler.py
