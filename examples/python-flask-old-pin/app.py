from cffi import FFI
from flask import Flask

app = Flask(__name__)
ffi = FFI()
ffi.cdef("size_t strlen(const char *);")
libc = ffi.dlopen(None)


@app.get("/healthz")
def healthz() -> str:
    # The compiled backend (_cffi_backend, built against libffi) at work.
    return "ok" if libc.strlen(b"ok") == 2 else "broken"
