/* A Lua 5.4 script runner (Debian 12's liblua5.4, static): runs the file
 * named by its argument, or the built-in heap-heavy script: tables grown
 * and dropped, strings concatenated, closures, a sort, string.format of
 * floats. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

static const char *const script =
	"local t = {}\n"
	"for i = 1, 50000 do t[i] = {i, tostring(i), i * 0.5} end\n"
	"local s = 0\n"
	"for i = 1, #t do s = s + t[i][3] end\n"
	"print('sum', s, string.format('%.3f', s / #t))\n"
	"local parts = {}\n"
	"for i = 1, 20000 do parts[#parts + 1] = string.rep('x', i % 17) .. i end\n"
	"local big = table.concat(parts, ',')\n"
	"print('concat', #big, big:sub(1, 40))\n"
	"table.sort(parts)\n"
	"print('sorted', parts[1], parts[#parts])\n"
	"local function counter() local n = 0; return function() n = n + 1; return n end end\n"
	"local c = counter(); for i = 1, 1000 do c() end\n"
	"print('closure', c())\n"
	"local words = {}\n"
	"for w in big:gmatch('x+(%d+)') do words[#words + 1] = tonumber(w) end\n"
	"print('gmatch', #words, words[#words])\n"
	"t = nil; parts = nil; collectgarbage()\n"
	"local fib = {}\n"
	"local function f(n) if n < 2 then return n end if fib[n] then return fib[n] end local v = f(n-1) + f(n-2); fib[n] = v; return v end\n"
	"print('fib', f(80), math.pi, string.format('%g %e', 1/3, 2^70))\n";

int main(int argc, char **argv)
{
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	int rc = argc > 1 ? luaL_dofile(L, argv[1]) : luaL_dostring(L, script);
	if (rc) {
		printf("error: %s\n", lua_tostring(L, -1));
		lua_close(L);
		return 1;
	}
	lua_close(L);
	return 0;
}
