"""redis-py's everyday calls (its README's first pages, pipelines and transactions included),
run against one server: `python3 redis_py_everyday.py PORT`. Prints `ok N` after N checks, or
fails with the first check that did not hold (exit 1)."""
import sys

import redis

port = int(sys.argv[1])
checks = 0


def check(got, want, what):
    global checks
    if got != want:
        raise SystemExit("redis-py %s: %s: got %r, want %r" % (redis.__version__, what, got, want))
    checks += 1


r = redis.Redis(host="127.0.0.1", port=port, db=0, socket_timeout=10)
check(r.ping(), True, "ping")
check(r.flushdb(), True, "flushdb")
check(r.set("foo", "bar"), True, "set")
check(r.get("foo"), b"bar", "get")
check(r.get("missing"), None, "get missing")
check(r.incr("n"), 1, "incr")
check(r.incr("n", 5), 6, "incr by 5 (INCRBY)")
check(r.decr("n"), 5, "decr")
check(r.decr("n", 10), -5, "decr by 10 (DECRBY)")
check(r.incrby("n", 2), -3, "incrby")
check(r.setex("t", 100, "v"), True, "setex")
check(r.ttl("t"), 100, "ttl")
check(r.pttl("t") > 98000, True, "pttl")
check(r.expire("foo", 50), True, "expire")
check(r.ttl("foo"), 50, "ttl after expire")
check(r.persist("foo"), True, "persist")
check(r.ttl("foo"), -1, "ttl after persist")
check(r.ttl("missing"), -2, "ttl missing")
check(r.pexpire("foo", 50000), True, "pexpire")
check(r.psetex("p", 100000, "v"), True, "psetex")
check(r.append("foo", "baz"), 6, "append")
check(r.strlen("foo"), 6, "strlen")
check(r.getdel("foo"), b"barbaz", "getdel")
check(r.get("foo"), None, "get after getdel")
check(r.setnx("once", "1"), True, "setnx")
check(r.setnx("once", "2"), False, "setnx again")
check(r.set("cond", "1", nx=True), True, "set nx")
check(r.set("cond", "2", xx=True, ex=10), True, "set xx ex")
check(r.mset({"a": "1", "b": "2"}), True, "mset")
check(r.mget("a", "nope", "b"), [b"1", None, b"2"], "mget")
check(r.exists("a", "b", "nope"), 2, "exists")
check(r.type("a"), b"string", "type")
check(r.type("nope"), b"none", "type missing")
check(r.dbsize(), 7, "dbsize")
check(sorted(r.keys("*")), [b"a", b"b", b"cond", b"n", b"once", b"p", b"t"], "keys")
check(sorted(r.keys("[ab]")), [b"a", b"b"], "keys pattern")
check(sorted(r.scan_iter(match="*")), sorted(r.keys("*")), "scan_iter")
cursor, first = r.scan(0, match="o*", count=1000)
check((cursor, first), (0, [b"once"]), "scan match count")
info = r.info()
check("redis_version" in info, True, "info has redis_version")
check(info["db0"]["keys"], 7, "info keyspace")
check("redis_version" in r.info("server"), True, "info server")
check(r.client_setname("py-client"), True, "client_setname")
check(r.client_getname(), "py-client", "client_getname")
check(r.client_id() > 0, True, "client_id")
check(r.delete("a", "b", "nope"), 2, "delete")

pipe = r.pipeline()  # the default pipeline is a MULTI/EXEC transaction
pipe.set("foo", 5)
pipe.set("bar", 18.5)
pipe.set("blee", "hello world!")
pipe.incr("foo")
pipe.get("blee")
check(pipe.execute(), [True, True, True, 6, b"hello world!"], "pipeline (transaction)")

pipe = r.pipeline(transaction=False)
for i in range(100):
    pipe.set("k%d" % i, i)
for i in range(100):
    pipe.get("k%d" % i)
got = pipe.execute()
check(got[:100], [True] * 100, "pipeline without transaction: sets")
check(got[100:], [str(i).encode() for i in range(100)], "pipeline without transaction: gets")

with r.pipeline() as pipe:
    pipe.incr("counter").incr("counter").get("counter")
    check(pipe.execute(), [1, 2, b"2"], "chained pipeline")

pipe = r.pipeline()
pipe.set("x", "1")
pipe.incr("x", "notanumber")
try:
    pipe.execute()
    check("no error", "an error", "a bad command in a transaction")
except redis.ResponseError as e:
    check("value is not an integer" in str(e) or "EXECABORT" in str(e), True, "transaction error: %s" % e)

try:
    r.execute_command("NOSUCHCOMMAND", "x")
    check("no error", "an error", "unknown command")
except redis.ResponseError as e:
    check(str(e).startswith("unknown command 'NOSUCHCOMMAND'"), True, "unknown command text: %s" % e)

check(r.flushall(), True, "flushall")
check(r.dbsize(), 0, "dbsize after flushall")
r.close()
print("ok %d" % checks)
