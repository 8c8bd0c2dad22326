-- A conversation that waits for you between runs. Each run gives one answer:
--   lua-persist examples/conversation.lua            starts it and asks the first question
--   lua-persist examples/conversation.lua Ada        answers it and asks the next
-- The coroutine that runs the conversation is suspended at `coroutine.yield`, stored in
-- `_home.conversation` with its frames, locals and pending to-be-closed variable, and
-- resumed by the next run in a new process (or on the other platform: `node wasm/run.mjs`).

local function ask(question)
  return coroutine.yield(question)
end

local function conversation()
  -- Closes when the conversation ends, however many runs later that is.
  local farewell <close> = setmetatable({}, {
    __close = function() print("(the conversation is over; run again to start another)") end,
  })
  local name = ask("What is your name?")
  local colors = {}
  -- A pcall frame that the coroutine yields through persists too.
  local ok, err = pcall(function()
    repeat
      local color = ask(("Name a colour you like, %s (or 'done'):"):format(name))
      if color == "none" then error("no colours at all?", 0) end
      if color ~= "done" then colors[#colors + 1] = color end
    until color == "done"
  end)
  if not ok then return ("%s says: %s"):format(name, err) end
  return ("Goodbye, %s! You like %s."):format(name, #colors > 0 and table.concat(colors, ", ") or "nothing")
end

local answer = arg and arg[1]
local co = _home.conversation
if co == nil then
  co = coroutine.create(conversation)
  answer = nil -- the first resume starts the function; it gets no answer
elseif answer == nil then
  print(_home.question) -- nothing to answer with: ask again
  return
end

local ok, said = coroutine.resume(co, answer)
if not ok then error(said, 0) end
if coroutine.status(co) == "dead" then
  print(said)
  _home.conversation, _home.question = nil, nil
else
  print(said)
  _home.conversation, _home.question = co, said
end
