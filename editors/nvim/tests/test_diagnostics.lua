-- A skill with a bad name: the server's diagnostics reach vim.diagnostic with their rule
-- ids; a good skill next to it gets none of them; :checkhealth llmos reports the binary,
-- its version and the workspace.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("diagnostics and checkhealth", function()
  local root = H.workspace({
    ["volumes/user/skills/bad-skill/SKILL.md"] = "---\nname: Bad_Skill\ndescription: x\n---\n",
    ["volumes/user/skills/folder-name/SKILL.md"] = "---\nname: other-name\ndescription: Use when testing the Neovim plugin.\n---\n",
    ["volumes/user/skills/good-skill/SKILL.md"] = "---\nname: good-skill\ndescription: Use when testing the Neovim plugin.\n---\n\nBody.\n",
  })
  H.setup()

  local function codes(buf)
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      out[#out + 1] = tostring(d.code)
    end
    return out
  end

  local bad = H.open(root .. "/volumes/user/skills/bad-skill/SKILL.md")
  H.wait("skill/name-format on the bad skill", function()
    return vim.tbl_contains(codes(bad), "skill/name-format")
  end)
  for _, d in ipairs(vim.diagnostic.get(bad)) do
    if d.code == "skill/name-format" then
      H.check(d.lnum == 1, "skill/name-format not on the name line: line " .. tostring(d.lnum))
      H.check(d.severity == vim.diagnostic.severity.ERROR, "skill/name-format is not an error")
    end
  end

  local mismatched = H.open(root .. "/volumes/user/skills/folder-name/SKILL.md")
  H.wait("skill/name-mismatch on a name that differs from its folder", function()
    return vim.tbl_contains(codes(mismatched), "skill/name-mismatch")
  end)

  -- Fixing the name in the buffer clears the diagnostics (incremental sync works).
  vim.cmd.buffer(bad)
  vim.api.nvim_buf_set_lines(bad, 1, 2, false, { "name: bad-skill" })
  H.wait("the diagnostics to clear after the fix", function()
    local c = codes(bad)
    return #vim.diagnostic.get(bad, { severity = vim.diagnostic.severity.ERROR }) == 0 and not vim.tbl_contains(c, "skill/name-format")
  end)

  local good = H.open(root .. "/volumes/user/skills/good-skill/SKILL.md")
  vim.wait(1000)
  H.check(not vim.tbl_contains(codes(good), "skill/name-format"), "a good skill got skill/name-format")

  vim.cmd("checkhealth llmos")
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  H.check(report:find(os.getenv("LLMOS_BIN"), 1, true) ~= nil, "checkhealth does not name the binary:\n" .. report)
  H.check(report:find("version: llmos %d+%.%d+") ~= nil, "checkhealth has no version:\n" .. report)
  H.check(report:find("workspace: " .. root, 1, true) ~= nil, "checkhealth has no workspace:\n" .. report)
  H.check(report:find("ERROR") == nil, "checkhealth reports an error:\n" .. report)
end)
