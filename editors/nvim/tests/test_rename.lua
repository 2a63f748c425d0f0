-- Renaming a skill from its SKILL.md with vim.lsp.buf.rename(): the folder moves, and
-- every file the edit touched is saved — sessions that were not open, and an open one
-- without changes of its own — while an open session with unsaved changes of the user's
-- keeps them (not written over) and is named in a warning.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local function session(id, extra)
  return ("---\ntitle: %s\nid: %s\nstatus: uncommitted\ncommit: null\nskills: [old-skill]\n---\n\n<!-- turn: user -->\n%s\n"):format(id, id, extra)
end

local function read(path)
  return vim.fn.filereadable(path) == 1 and table.concat(vim.fn.readfile(path), "\n") or nil
end

H.main("rename saves", function()
  local root = H.workspace({
    ["volumes/user/skills/old-skill/SKILL.md"] = "---\nname: old-skill\ndescription: Use when renaming skills in Neovim.\n---\n\nBody.\n",
    ["volumes/user/sessions/closed.md"] = session("closed", "Never opened."),
    ["volumes/user/sessions/clean.md"] = session("clean", "Open, no changes."),
    ["volumes/user/sessions/dirty.md"] = session("dirty", "Open with changes."),
    ["volumes/user/sessions/other.md"] = "---\ntitle: other\nid: other\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nNo skill.\n",
  })
  local s = root .. "/volumes/user/sessions/"
  H.setup()
  local clean = H.open(s .. "clean.md")
  local dirty = H.open(s .. "dirty.md")
  vim.api.nvim_buf_set_lines(dirty, -1, -1, false, { "A line the user has not saved." })
  local skill = H.open(root .. "/volumes/user/skills/old-skill/SKILL.md")
  local listed_before = #vim.fn.getbufinfo({ buflisted = 1 })

  vim.api.nvim_win_set_cursor(0, { 2, 8 })
  vim.lsp.buf.rename("new-skill")
  H.wait("the skill folder to move", function()
    return vim.fn.isdirectory(root .. "/volumes/user/skills/new-skill") == 1 and vim.fn.isdirectory(root .. "/volumes/user/skills/old-skill") == 0
  end)
  H.wait("the rename's warning about the modified buffer", function()
    for _, m in ipairs(H.messages) do
      if m:find("left unsaved: ", 1, true) then
        return m
      end
    end
  end)

  local closed_text = read(s .. "closed.md")
  H.check(closed_text:find("skills: [new-skill]", 1, true) ~= nil, "a session that was not open was not saved:\n" .. closed_text)
  H.check(read(s .. "clean.md"):find("skills: [new-skill]", 1, true) ~= nil, "an open session without changes was not saved")
  H.check(not vim.bo[clean].modified, "the clean session's buffer is still modified")
  H.check(read(s .. "other.md"):find("No skill.", 1, true) ~= nil, "an unrelated session changed")

  -- The user's unsaved line is neither written nor lost; the buffer has the new name too.
  H.check(vim.bo[dirty].modified, "the buffer with the user's changes was saved behind their back")
  H.check(read(s .. "dirty.md"):find("skills: [old-skill]", 1, true) ~= nil, "the file of the modified buffer was written")
  local dirty_text = table.concat(vim.api.nvim_buf_get_lines(dirty, 0, -1, false), "\n")
  H.check(dirty_text:find("skills: [new-skill]", 1, true) and dirty_text:find("A line the user has not saved.", 1, true), "dirty buffer:\n" .. dirty_text)
  local warning
  for _, m in ipairs(H.messages) do
    if m:find("left unsaved: ", 1, true) then
      warning = m
    end
  end
  H.check(warning:find("dirty.md", 1, true) and not warning:find("clean.md", 1, true), "warning: " .. warning)

  -- The skill file moved with its buffer and holds the new name on disk.
  local moved = root .. "/volumes/user/skills/new-skill/SKILL.md"
  H.check(read(moved):find("name: new-skill", 1, true) ~= nil, "the skill file on disk: " .. tostring(read(moved)))
  H.check(vim.api.nvim_buf_get_name(skill) == moved and not vim.bo[skill].modified, "the skill buffer: " .. vim.api.nvim_buf_get_name(skill))
  -- Files loaded only to be edited do not crowd the buffer list.
  H.check(#vim.fn.getbufinfo({ buflisted = 1 }) == listed_before, "the rename added listed buffers: " .. vim.inspect(vim.tbl_map(function(b)
    return b.name
  end, vim.fn.getbufinfo({ buflisted = 1 }))))
end)
