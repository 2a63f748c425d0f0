-- Default buffer-local keymaps in session files (send, cancel, commit), none in other
-- files, overridable and switchable off; the statusline component.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local function map(buf, lhs, mode)
  for _, m in ipairs(vim.api.nvim_buf_get_keymap(buf, mode or "n")) do
    if m.lhs == vim.api.nvim_replace_termcodes(lhs, true, true, true) or m.lhs == lhs then
      return m.rhs or ""
    end
  end
end

H.main("keymaps", function()
  local root = H.workspace({
    ["volumes/user/sessions/k.md"] = "---\ntitle: Keys\nid: k\n---\n\n<!-- turn: user -->\nHi\n",
    ["volumes/user/skills/s/SKILL.md"] = "---\nname: s\ndescription: A skill. Use when testing.\n---\nbody\n",
  })
  local llmos = H.setup({ keymaps = { commit = { "<localleader>x", modes = { "n" } }, cancel = false } })
  local session = H.open(root .. "/volumes/user/sessions/k.md")
  local send = map(session, "<C-S>")
  H.check(send and send:find("LlmosSend", 1, true), "no <C-s> send map in the session: " .. vim.inspect(vim.api.nvim_buf_get_keymap(session, "n")))
  H.check(map(session, "<C-S>", "i") ~= nil, "no insert-mode send map")
  local leader = vim.g.maplocalleader or "\\"
  H.check((map(session, leader .. "x") or ""):find("LlmosCommit", 1, true), "the overridden commit key is missing")
  H.check(map(session, "<C-C>") == nil, "cancel = false still mapped <C-c>")
  -- While the first indexing runs the statusline shows it; once it is over, just "llmos".
  H.wait("the statusline to settle on \"llmos\" after indexing", function()
    return llmos.statusline(session) == "llmos"
  end, 10000)
  local skill = H.open(root .. "/volumes/user/skills/s/SKILL.md")
  H.check(map(skill, "<C-S>") == nil, "a skill file got the session keymaps")
  -- keymaps = false: none at all
  vim.cmd("bwipeout! " .. session)
  llmos.setup({ cmd = { H.env("LLMOS_BIN"), "lsp" }, keymaps = false })
  local again = H.open(root .. "/volumes/user/sessions/k.md")
  H.check(map(again, "<C-S>") == nil, "keymaps = false still mapped <C-s>")
end)
