-- wrk script: every request a new comment from a new author (email, author_ip) and a new text,
-- varied Vietnamese (with and without diacritics, teencode) and English, some spam and abuse.
--   KEY=sk_... wrk -t2 -c64 -d20s -s bench/wrk/comments.lua http://127.0.0.1:8000
-- Prints one RESULT line: req/s, p50/p90/p99 and errors (non2xx counts answers outside 2xx/3xx).

local key = os.getenv("KEY") or ""
local sentences = {
  "Bài viết rất hay, cảm ơn tác giả đã chia sẻ thông tin hữu ích.",
  "Tôi không đồng ý với quan điểm này, cần xem xét thêm nhiều mặt.",
  "Mong chính quyền sớm sửa lại con đường này, đi lại rất khó khăn.",
  "bai viet hay qua, cam on ban nhieu nhe",
  "ko biet dc bao gio moi xong du an nay nua",
  "Giá nhà đất tăng quá nhanh, người trẻ khó mua được nhà.",
  "Đội tuyển đá hay lắm, chúc mừng các cầu thủ!",
  "Thời tiết Hà Nội mấy hôm nay nóng quá trời.",
  "Great article, thanks for sharing these details.",
  "I disagree with the author, the data tells a different story.",
  "Can someone explain how the new tax rule affects small shops?",
  "Hope the city fixes the flooding before the rainy season.",
  "Nhận làm thẻ tín dụng, vay tiền nhanh, liên hệ zalo ngay hôm nay.",
  "Mua ngay giảm giá sốc 50% tại shop, click link bio để nhận quà.",
  "Cheap casino bonus, visit our site now for free spins!",
  "đồ ngu như bò, viết bài như shit",
  "you are an idiot and nobody cares",
  "Thằng tác giả này óc chó thật sự vl",
  "Ủng hộ quyết định này, hy vọng sẽ triển khai sớm.",
  "Cảm ơn báo đã đưa tin kịp thời.",
}
local names = {"Nguyễn Văn An", "Trần Thị Bình", "Lê Minh", "Phạm Hoa", "John Smith", "Mai Anh"}
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
  counter = (tid or 0) * 100000000 + math.random(0, 99999999) * 1000
end

-- A made-up word unique to n: duplicate detection ignores digits, case and stretched letters,
-- so a number alone would not make a text new (consonant-vowel syllables never double a letter).
local function word(n)
  local consonants, vowels, out = "bcdghklmnpqrstvx", "aeiou", ""
  repeat
    local rest = n % 80
    local c = math.floor(rest / 5) + 1
    local v = rest % 5 + 1
    out = out .. consonants:sub(c, c) .. vowels:sub(v, v)
    n = math.floor(n / 80)
  until n == 0
  return out
end

local function escape(s)
  return (s:gsub('\\', '\\\\'):gsub('"', '\\"'))
end

request = function()
  counter = counter + 1
  local n = counter
  local parts = {}
  for i = 1, math.random(1, 3) do
    parts[i] = sentences[math.random(#sentences)]
  end
  local body = table.concat(parts, " ") .. " (" .. word(n) .. ")"
  -- Real comments come from many networks: consecutive requests get addresses in different
  -- /24s (multiplying by an odd number is a bijection modulo 2^24, exact in doubles), else
  -- hundreds in a row would queue behind one /24's flood-limit lock.
  local p = ((n % 16777216) * 40503) % 16777216
  local ip = string.format("10.%d.%d.%d", math.floor(p / 65536), math.floor(p / 256) % 256, p % 256)
  local payload = string.format(
    '{"thread":"bai-viet-%d","name":"%s","email":"reader%d@example.vn","body":"%s","author_ip":"%s"}',
    n % 500, names[(n % #names) + 1], n, escape(body), ip)
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. key
  return wrk.format("POST", "/v1/comments", headers, payload)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors_connect=%d errors_read=%d errors_timeout=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.timeout, summary.errors.status))
end
