-- wrk script: the first page of a user's visible customers.
-- CLIENTELE_USER names the user (a service key acts as them).
-- wrk -t1 -c8 -d10s --latency -s visible.lua http://127.0.0.1:PORT/v1/visible?limit=100
wrk.method = "GET"
local key = os.getenv("CLIENTELE_KEY")
if key then wrk.headers["Authorization"] = "Bearer " .. key end
local user = os.getenv("CLIENTELE_USER")
if user then wrk.headers["Clientele-User"] = user end
