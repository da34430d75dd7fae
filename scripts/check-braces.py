#!/usr/bin/env python3
"""Braces on every control statement (STYLE.md): lists each if/for/while/else of the tracked C++
and CUDA sources whose body is not a braced block, and exits 1 when there is one. Comments,
strings and preprocessor lines are ignored; do-while is allowed."""
import re
import subprocess
import sys
files=subprocess.check_output(['git','ls-files','*.cc','*.h','*.cu','*.cuh']).decode().split()
bad=0
for f in files:
    src=open(f,errors='replace').read()
    code=re.sub(r'//[^\n]*','',src)
    code=re.sub(r'R"(\w*)\((.*?)\)\1"',lambda m:'""'+'\n'*m.group(0).count('\n'),code,flags=re.S)
    code=re.sub(r'"(\\.|[^"\\\n])*"','""',code)
    code=re.sub(r"'(\\.|[^'\\\n])*'","''",code)
    code=re.sub(r'(?m)^[ \t]*#(?:[^\n]*\\\n)*[^\n]*$',lambda m:'\n'*m.group(0).count('\n'),code)
    for m in re.finditer(r'\b(if|for|while|else)\b',code):
        i=m.end()
        kw=m.group(1)
        if kw=='else':
            j=i
            while code[j].isspace(): j+=1
            if code.startswith('if',j) : continue
            if code[j]!='{':
                bad+=1; print(f"{f}:{code.count(chr(10),0,m.start())+1}: else without braces", file=sys.stderr)
            continue
        if kw=='while':
            k=m.start()-1
            while k>0 and code[k].isspace(): k-=1
            if code[k]=='}': continue
        # skip 'constexpr'
        j=i
        while code[j].isspace(): j+=1
        if code.startswith('constexpr',j): j+=9
        while code[j].isspace(): j+=1
        if code[j]!='(': continue
        depth=0
        while j<len(code):
            if code[j]=='(': depth+=1
            elif code[j]==')':
                depth-=1
                if depth==0: break
            j+=1
        j+=1
        while j<len(code) and code[j].isspace(): j+=1
        if j>=len(code): continue
        if code[j]==';' and kw=='while': continue  # do-while
        if code[j]!='{':
            bad+=1; print(f"{f}:{code.count(chr(10),0,m.start())+1}: {kw} without braces", file=sys.stderr)
if bad:
    print(f'braces: {bad} control statement(s) without braces', file=sys.stderr)
    sys.exit(1)
print('braces: ok')
