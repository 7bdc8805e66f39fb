import psycopg2
from cffi import FFI
from flask import Flask

app = Flask(__name__)
ffi = FFI()
ffi.cdef("size_t strlen(const char *);")
libc = ffi.dlopen(None)


@app.get("/healthz")
def healthz() -> str:
    # The compiled backend (_cffi_backend, built against libffi) at work, and psycopg2 built against libpq.
    return "ok" if libc.strlen(b"ok") == 2 and psycopg2.__libpq_version__ > 0 else "broken"
