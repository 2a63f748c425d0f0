-- The plugin without a server: user commands exist, a missing binary is reported with
-- the install command, commands outside a workspace fail with a message, and the
-- status formatting.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("plugin", function()
  local root = H.workspace({ ["volumes/user/sessions/s.md"] = "---\ntitle: S\n---\n" })
  H.setup({ cmd = { root .. "/no-such-llmos", "lsp" } })
  local llmos = require("llmos")
  for _, c in ipairs({ "LlmosSend", "LlmosCancel", "LlmosCommit", "LlmosNewSession", "LlmosEvolve", "LlmosPromote", "LlmosStatus" }) do
    H.check(vim.fn.exists(":" .. c) == 2, ":" .. c .. " is not defined")
  end

  vim.cmd.edit(root .. "/volumes/user/sessions/s.md")
  H.check(llmos.root(0) == root, "root is " .. vim.inspect(llmos.root(0)))
  H.wait("the missing-binary message", function()
    for _, m in ipairs(H.messages) do
      if m:find("cargo install --path server", 1, true) then
        return true
      end
    end
  end, 2000)
  H.check(#vim.lsp.get_clients({ name = "llmos" }) == 0, "a client started without a binary")

  H.messages = {}
  -- An error message inside a command raises in headless mode; the message is what counts.
  pcall(vim.cmd, "LlmosCommit")
  H.check(#H.messages == 1 and H.messages[1]:find("no llmos server", 1, true) ~= nil, "commit without a server: " .. vim.inspect(H.messages))

  -- A file outside any workspace never gets a root.
  local outside = vim.fn.resolve(vim.fn.tempname()) .. ".md"
  vim.cmd.edit(outside)
  H.check(llmos.root(0) == nil, "a root outside the workspace: " .. vim.inspect(llmos.root(0)))

  H.check(llmos.format_duration(90061) == "1d 1h", llmos.format_duration(90061))
  H.check(llmos.format_duration(-3) == "0s", llmos.format_duration(-3))
  local lines = llmos.format_status({
    workspace = "/w",
    ready = false,
    provider = { provider = "openai", model = "m", baseUrl = vim.NIL },
    volumes = { { name = "team", skills = 2, sessions = 0, repository = false, remote = "github:a/b", writable = false } },
    jobs = {
      { volume = "user", every = "1d 0h", nextRun = os.time() + 7200 + 30, nextRunIn = "2h 0m" },
      { volume = "team", every = 604800, nextRun = vim.NIL },
      { volume = "system", every = vim.NIL, nextRun = vim.NIL },
    },
  })
  local want = {
    "workspace: /w (indexing)",
    "llm: openai · m",
    "team: 2 skills · 0 sessions · not a repository · github:a/b · read-only",
    "evolution user: every 1d 0h, next run in 2h",
    "evolution team: every 7d",
    "evolution system: off",
  }
  H.check(vim.deep_equal(lines, want), "format_status: " .. vim.inspect(lines))
  H.check(vim.deep_equal(llmos.format_status(nil), { "llmos: no status" }), "format_status(nil)")
  -- Remotes are shown without the credentials a URL may carry.
  local with_token = llmos.format_status({ volumes = { { name = "user", remote = "https://x-access-token:ghp_SECRET@github.com/a/b.git", repository = true, writable = true } } })
  H.check(with_token[3] == "user: 0 skills · 0 sessions · git · https://github.com/a/b.git", "remote with a token: " .. vim.inspect(with_token))
  H.check(llmos.shown_remote("git@github.com:a/b.git") == "git@github.com:a/b.git", "an scp-like remote changed")
  H.check(llmos.shown_remote(vim.NIL) == nil, "a null remote")
end)
