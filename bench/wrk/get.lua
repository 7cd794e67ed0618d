-- wrk script for plain GETs (add headers with -H): prints the same RESULT line as comments.lua.
--   wrk -t2 -c64 -d20s -s bench/wrk/get.lua -H 'If-None-Match: "..."' http://127.0.0.1:8000/v1/...
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors_connect=%d errors_read=%d errors_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.timeout, summary.errors.status))
end
