-- wrk script: PATCH one field of customers owned by the acting user, round robin
-- over the ids in CLIENTELE_IDS (comma-separated), each write durable before its answer.
-- wrk -t1 -c32 -d10s --latency -s patch.lua http://127.0.0.1:PORT
local key = os.getenv("CLIENTELE_KEY")
local user = os.getenv("CLIENTELE_USER")
local ids = {}
for id in string.gmatch(os.getenv("CLIENTELE_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local n = 0
request = function()
  n = n + 1
  local headers = { ["Content-Type"] = "application/json" }
  if key then headers["Authorization"] = "Bearer " .. key end
  if user then headers["Clientele-User"] = user end
  local body = '{"fields":{"description":"edit ' .. n .. '"}}'
  return wrk.format("PATCH", "/v1/customers/" .. ids[(n % #ids) + 1], headers, body)
end
