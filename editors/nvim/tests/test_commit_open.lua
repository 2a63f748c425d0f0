-- :LlmosCommit with the buffer open and edited: no "file changed" prompt (W12) at the
-- next :write, and the buffer, the file and HEAD agree.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("commit_open", function()
  local root = H.workspace({
    ["volumes/user/sessions/s2.md"] = "---\ntitle: Open commit\nid: s2\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHello\n",
  })
  H.setup()
  local user = root .. "/volumes/user"
  local path = user .. "/sessions/s2.md"
  local buf = H.open(path)
  -- unsaved typing, then commit
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "typed before the commit" })
  vim.cmd("LlmosCommit")
  H.wait("the commit", function()
    local r = vim.system({ "git", "-C", user, "log", "-1", "--format=%s" }, { text = true }):wait()
    return r.code == 0 and vim.trim(r.stdout) == "session: Open commit"
  end)
  H.wait("the buffer to be saved", function()
    return not vim.bo[buf].modified and vim.tbl_contains(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "status: committed")
  end, 5000)
  local function agree()
    local disk = table.concat(vim.fn.readfile(path), "\n") .. "\n"
    local buffer = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
    local head = H.run({ "git", "-C", user, "show", "HEAD:sessions/s2.md" }) .. "\n"
    return disk, buffer, head
  end
  local disk, buffer, head = agree()
  H.check(disk == buffer and buffer == head, ("buffer, file and HEAD differ:\n--disk\n%s--buffer\n%s--head\n%s"):format(disk, buffer, head))
  H.check(head:find("typed before the commit", 1, true) ~= nil, "the unsaved text was not committed")
  H.check(H.run({ "git", "-C", user, "status", "--porcelain" }) == "", "git status is not clean")
  -- More typing and a :write: no W12 (the file was not changed behind the buffer).
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "after" })
  local ok, err = pcall(vim.cmd, "write")
  H.check(ok, "the write after the commit failed: " .. tostring(err))
  local messages = vim.api.nvim_exec2("messages", { output = true }).output
  H.check(not messages:find("W12", 1, true) and not messages:find("changed since reading", 1, true), "Neovim warned: " .. messages)
end)
