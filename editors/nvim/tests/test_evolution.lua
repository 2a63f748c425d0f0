-- :LlmosEvolve twice on the demo history: one summary line each (no Lua table, no
-- "Press ENTER"), the report in ONE window at the bottom that the second run reuses (the
-- first report's buffer goes, no [No Name] buffer appears), and the patterns and skills
-- in a quickfix list that the second run replaces.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

H.main("evolution report", function()
  local root = vim.fn.resolve(vim.fn.tempname())
  H.run({ H.env("LLMOS_BIN"), "init", "--demo", root })
  H.root = root
  H.setup()
  local session = vim.fn.glob(root .. "/volumes/user/sessions/*.md", false, true)[1]
  local buf = H.open(session)
  local home = vim.api.nvim_get_current_win()
  H.check(#vim.api.nvim_tabpage_list_wins(0) == 1, "more than one window before the run")

  local function summaries()
    local list = {}
    for _, m in ipairs(H.messages) do
      if m:find("llmos: evolution (user): ", 1, true) then
        table.insert(list, m)
      end
    end
    return list
  end
  local function report_window()
    local wins = vim.api.nvim_tabpage_list_wins(0)
    H.check(#wins == 2, ("%d windows after the run, want the session's and the report's"):format(#wins))
    for _, w in ipairs(wins) do
      if w ~= home then
        return w
      end
    end
  end

  vim.cmd("LlmosEvolve")
  H.wait("the first run's summary", function()
    return #summaries() == 1
  end, 30000)
  local summary = summaries()[1]
  -- The demo history has three chart sessions: one pattern of them, and its skill.
  H.check(summary:find("9 commits", 1, true) and summary:find("skills? created") and not summary:find("{", 1, true), "summary: " .. summary)
  -- One line that fits the command line (80 columns here): no "Press ENTER".
  H.check(not summary:find("\n") and vim.fn.strdisplaywidth(summary) <= vim.v.echospace, ("summary wider than %d columns: %s"):format(vim.v.echospace, summary))
  H.check(vim.api.nvim_get_current_win() == home and vim.api.nvim_get_current_buf() == buf, "the run moved the cursor out of the session")
  local win = report_window()
  local first = vim.api.nvim_win_get_buf(win)
  local first_name = vim.api.nvim_buf_get_name(first)
  H.check(first_name:match("/%.llmos/reports/evolution%-user%-[%d-]+%.md$") ~= nil, "report window shows " .. first_name)
  local report = table.concat(vim.api.nvim_buf_get_lines(first, 0, -1, false), "\n")
  H.check(report:find("chart-csv-axes", 1, true) ~= nil, "the report does not name the pattern:\n" .. report)

  local qf = vim.fn.getqflist({ title = 0, items = 0, nr = "$" })
  H.check(qf.title == "llmos evolution (user)", "quickfix title: " .. vim.inspect(qf.title))
  local found_pattern, found_skill
  for _, item in ipairs(qf.items) do
    local file = item.bufnr > 0 and vim.api.nvim_buf_get_name(item.bufnr) or ""
    if item.text:find("^pattern chart%-csv%-axes: 3 occurrences") and file == first_name and item.lnum > 1 then
      local at = vim.fn.readfile(first_name)[item.lnum]
      found_pattern = at and at:find("chart-csv-axes", 1, true) ~= nil
    elseif item.text == "created skill chart-csv-axes" then
      found_skill = file:match("/volumes/user/skills/chart%-csv%-axes/SKILL%.md$") ~= nil and vim.fn.filereadable(file) == 1
    end
  end
  H.check(found_pattern, "no quickfix item at the pattern's line of the report: " .. vim.inspect(qf.items))
  H.check(found_skill, "no quickfix item on the created skill's file: " .. vim.inspect(qf.items))

  -- Report names carry the second: the next run writes another file.
  vim.wait(1100)
  vim.cmd("LlmosEvolve user")
  H.wait("the second run's summary", function()
    return #summaries() == 2
  end, 30000)
  H.check(report_window() == win, "the second run opened another window")
  local second = vim.api.nvim_win_get_buf(win)
  H.check(second ~= first and vim.api.nvim_buf_get_name(second):match("/%.llmos/reports/evolution%-user%-") ~= nil, "the report window does not show the second report")
  H.check(not vim.api.nvim_buf_is_valid(first), "the first report's buffer is still there")
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    H.check(not (vim.bo[b].buflisted and vim.api.nvim_buf_get_name(b) == ""), "a [No Name] buffer appeared")
  end
  local qf2 = vim.fn.getqflist({ title = 0, nr = "$", items = 0 })
  H.check(qf2.nr == qf.nr and qf2.title == "llmos evolution (user)", "the second run added a quickfix list instead of replacing it")
  H.check(summaries()[2]:find("0 commits", 1, true) ~= nil, "second summary: " .. summaries()[2])
  H.check(#qf2.items == 0, "stale quickfix items after a run that found nothing: " .. vim.inspect(qf2.items))
end)
