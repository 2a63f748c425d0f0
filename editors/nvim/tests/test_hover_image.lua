-- Hovers on image and plot links in Neovim's float: the plugin asks for text instead of
-- Markdown images (which the float cannot show), so the user reads each image's name,
-- format and pixel size, and a plot's sparkline — no data: URI, no bare image link, no
-- blank float.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/helpers.lua")

local function write_bytes(path, bytes)
  vim.fn.mkdir(vim.fs.dirname(path), "p")
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

--- A PNG header of `w`×`h` pixels, built from the format's layout (signature, IHDR).
local function png(w, h)
  local function be32(n)
    return string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  return "\137PNG\r\n\26\n" .. be32(13) .. "IHDR" .. be32(w) .. be32(h) .. string.char(8, 6, 0, 0, 0) .. be32(0)
end

H.main("hover image fallback", function()
  math.randomseed(os.time())
  local w, h = math.random(2, 4000), math.random(2, 4000)
  local root = H.workspace({
    ["volumes/user/sessions/pics.md"] = table.concat({
      "---",
      "title: Pictures",
      "id: pics",
      "status: uncommitted",
      "commit: null",
      "---",
      "",
      "<!-- turn: user -->",
      "See ![the chart](../artifacts/chart.svg) here.",
      "And ![a photo](../artifacts/photo.png) there.",
      "Data in [the table](../artifacts/loss.csv).",
      "",
    }, "\n"),
    ["volumes/user/artifacts/chart.svg"] = '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="140"><rect width="10" height="10"/></svg>\n',
    ["volumes/user/artifacts/loss.csv"] = "epoch,loss\n1,0.9\n2,0.5\n3,0.2\n4,0.1\n",
  })
  write_bytes(root .. "/volumes/user/artifacts/photo.png", png(w, h))
  H.setup()
  local buf = H.open(root .. "/volumes/user/sessions/pics.md")

  local function hover_at(line, col)
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then
        vim.api.nvim_win_close(win, true)
      end
    end
    vim.api.nvim_set_current_buf(buf)
    vim.api.nvim_win_set_cursor(0, { line, col })
    vim.lsp.buf.hover()
    return H.wait(("the hover float at %d:%d"):format(line, col), function()
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        if vim.api.nvim_win_get_config(win).relative ~= "" then
          return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), "\n")
        end
      end
    end, 10000)
  end

  local function check_text_only(text)
    H.check(not text:find("data:", 1, true) and not text:find("file://", 1, true) and not text:find("![", 1, true), "an image the float cannot show:\n" .. text)
    H.check(vim.trim(text) ~= "", "a blank hover")
  end

  local svg = hover_at(9, 8)
  check_text_only(svg)
  H.check(svg:find("chart.svg", 1, true) and svg:find("SVG · 360 px × 140 px", 1, true), "the SVG hover has no name and size:\n" .. svg)

  local photo = hover_at(10, 8)
  check_text_only(photo)
  H.check(photo:find("photo.png", 1, true) and photo:find(("PNG · %d × %d px"):format(w, h), 1, true), ("the PNG hover lacks %dx%d:\n%s"):format(w, h, photo))

  local plot = hover_at(11, 12)
  check_text_only(plot)
  H.check(plot:find("loss by epoch: `", 1, true) ~= nil, "the plot hover has no sparkline:\n" .. plot)
end)
