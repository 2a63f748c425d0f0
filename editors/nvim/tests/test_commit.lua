-- :LlmosCommit on a session: one git commit with the session's title as subject, the
-- buffer stamped `status: committed` and left unmodified; a second commit with no
-- change is refused with a message and makes no commit; :LlmosStatus shows the workspace.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("commit", function()
  local root = H.workspace({
    ["volumes/user/sessions/s1.md"] = "---\ntitle: Neovim commit test\nid: s1\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHello\n",
  })
  H.setup()
  local user = root .. "/volumes/user"
  local buf = H.open(user .. "/sessions/s1.md")

  vim.cmd("LlmosCommit")
  local subject = H.wait("a commit in volumes/user", function()
    local r = vim.system({ "git", "-C", user, "log", "-1", "--format=%s" }, { text = true }):wait()
    return r.code == 0 and vim.trim(r.stdout) ~= "" and vim.trim(r.stdout) or nil
  end)
  H.check(subject == "session: Neovim commit test", "commit subject is " .. vim.inspect(subject))
  local body = H.run({ "git", "-C", user, "log", "-1", "--format=%B" })
  H.check(body:find("LLMos-Session: s1", 1, true) ~= nil, "no LLMos-Session trailer in:\n" .. body)

  H.wait("the buffer to show status: committed", function()
    return vim.tbl_contains(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "status: committed")
  end)
  H.wait("the buffer to be unmodified after the commit", function()
    return not vim.bo[buf].modified
  end, 5000)

  -- Nothing changed: the server refuses and no second commit appears.
  local before = H.run({ "git", "-C", user, "rev-list", "--count", "HEAD" })
  vim.cmd("LlmosCommit")
  H.wait("the 'nothing to commit' message", function()
    for _, m in ipairs(H.messages) do
      if m:find("nothing to commit", 1, true) then
        return true
      end
    end
  end)
  H.check(H.run({ "git", "-C", user, "rev-list", "--count", "HEAD" }) == before, "a second commit was made")

  -- :LlmosStatus shows the workspace and the volume with its session.
  vim.cmd("LlmosStatus")
  local status = H.wait("the :LlmosStatus message", function()
    for _, m in ipairs(H.messages) do
      if m:find("workspace: " .. root, 1, true) then
        return m
      end
    end
  end)
  H.check(status:find("user: %d+ skills · 1 sessions · git") ~= nil, ":LlmosStatus: " .. status)
end)
