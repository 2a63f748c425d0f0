-- :checkhealth llmos on the provider and the volumes, captured headless, in two
-- workspaces: one with the loopback fake provider and its key variable set (the key's
-- value never shown), a git volume and one that is not a repository; one whose hosted
-- provider's key variable is unset and whose base URL answers nothing; and the first
-- again once no server runs (volumes from `llmos status --format json`).
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local SECRET = "sk-llmos-health-" .. tostring(os.time())

local function health_report(from_buf)
  vim.cmd.buffer(from_buf)
  vim.cmd("checkhealth llmos")
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  vim.cmd("bwipeout")
  return text
end

local function section(report, title)
  local start = report:find(title, 1, true)
  H.check(start ~= nil, "no section " .. title .. " in:\n" .. report)
  -- Sections end where the next one (`name ~`) or the next plugin's report begins.
  local stop = report:find("\n[^\n]* ~\n", start + #title) or report:find("\n=+\n", start) or #report
  return report:sub(start, stop)
end

H.main("checkhealth provider and volumes", function()
  local proc, port = H.fake_llm({ "--reply", "ok" })

  local ok, err = pcall(function()
    -- The server inherits Neovim's environment.
    vim.env.LLMOS_HEALTH_KEY = SECRET
    vim.env.LLMOS_HEALTH_UNSET_KEY = nil

    local good = H.workspace({
      ["llmos.toml"] = ('[llm]\nprovider = "openai"\nbase_url = "http://127.0.0.1:%s/v1"\nmodel = "m"\napi_key_env = "LLMOS_HEALTH_KEY"\n\n[volumes.user]\npath = "volumes/user"\nremote = "https://someone:%s@example.com/user.git"\n\n[volumes.team]\npath = "volumes/team"\n'):format(port, SECRET),
      ["volumes/user/sessions/a.md"] = "---\ntitle: A\nid: a\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHi.\n",
      ["volumes/team/skills/.keep"] = "",
    })
    H.setup()
    local a = H.open(good .. "/volumes/user/sessions/a.md")
    local report = health_report(a)
    H.check(not report:find(SECRET, 1, true), "the key (or a remote's password) is in the report:\n" .. report)
    local provider = section(report, "llmos: provider")
    H.check(provider:find("OK provider: OpenAI-compatible · model m · http://127.0.0.1:" .. port .. "/v1", 1, true), "provider:\n" .. provider)
    H.check(provider:find("OK API key variable LLMOS_HEALTH_KEY is set", 1, true), "key:\n" .. provider)
    H.check(provider:find("OK http://127.0.0.1:" .. port .. "/v1 answers %(HTTP %d+ in %d+ ms%)") ~= nil, "reachability:\n" .. provider)
    H.check(not provider:find("ERROR", 1, true), "provider errors:\n" .. provider)
    local volumes = section(report, "llmos: volumes")
    H.check(volumes:find("OK user: " .. good .. "/volumes/user (git repository; 0 skills, 1 sessions)", 1, true), "user volume:\n" .. volumes)
    H.check(volumes:find("OK user: remote https://example.com/user.git", 1, true), "user remote:\n" .. volumes)
    H.check(volumes:find("WARNING team: " .. good .. "/volumes/team is not a git repository", 1, true), "team volume:\n" .. volumes)
    H.check(volumes:find("team: no remote", 1, true), "team remote:\n" .. volumes)
    H.check(volumes:find("WARNING system: " .. good .. "/volumes/system does not exist", 1, true), "system volume:\n" .. volumes)

    -- A hosted provider without its key, at an address where nothing listens.
    local closed = vim.uv.new_tcp()
    closed:bind("127.0.0.1", 0)
    local dead_port = closed:getsockname().port
    closed:close()
    local bad = H.workspace({
      ["llmos.toml"] = ('[llm]\nprovider = "anthropic"\nbase_url = "http://localhost.:%d"\nmodel = "claude"\napi_key_env = "LLMOS_HEALTH_UNSET_KEY"\n'):format(dead_port),
      ["volumes/user/sessions/b.md"] = "---\ntitle: B\nid: b\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHi.\n",
    })
    local b = H.open(bad .. "/volumes/user/sessions/b.md")
    report = health_report(b)
    provider = section(report, "llmos: provider")
    H.check(provider:find("ERROR API key variable LLMOS_HEALTH_UNSET_KEY is not set", 1, true), "unset key:\n" .. provider)
    H.check(provider:find(("ERROR http://localhost.:%d/ is not reachable: cannot connect"):format(dead_port), 1, true), "unreachable:\n" .. provider)
    H.check(section(report, "llmos: volumes"):find("OK user: " .. bad .. "/volumes/user (git repository", 1, true), "second workspace's volumes:\n" .. report)

    -- Without a server: the provider cannot be asked, the volumes come from the CLI.
    for _, c in ipairs(vim.lsp.get_clients({ name = "llmos" })) do
      c:stop(true)
    end
    H.wait("the servers to stop", function()
      return #vim.lsp.get_clients({ name = "llmos" }) == 0
    end)
    report = health_report(a)
    H.check(section(report, "llmos: provider"):find("the server is not running", 1, true), "provider without a server:\n" .. report)
    volumes = section(report, "llmos: volumes")
    H.check(volumes:find("OK user: " .. good .. "/volumes/user (git repository; 0 skills, 1 sessions)", 1, true), "volumes without a server:\n" .. volumes)
    H.check(volumes:find("WARNING team: " .. good .. "/volumes/team is not a git repository", 1, true), "team without a server:\n" .. volumes)
    H.check(not report:find(SECRET, 1, true), "the key (or a remote's password) is in the report:\n" .. report)
    vim.fn.delete(good, "rf")
  end)
  proc:kill(15)
  if not ok then
    error(err, 0)
  end
end)
